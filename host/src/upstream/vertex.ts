/**
 * Vertex AI: the same Gemini and Anthropic wire formats served per Google Cloud project and
 * region, under `{base}/projects/{project}/locations/{location}/publishers/{google|anthropic}`,
 * with a service account's token. Gemini keeps its own paths below that root; Anthropic's
 * Messages become `models/{model}:rawPredict` (`:streamRawPredict`), with the model in the path
 * and Vertex's `anthropic_version` in the body instead.
 *
 * @module
 */
import { JsonBody } from '../formats/json-body.js';
import type { WireFormat } from '../formats/wire-format.js';

/** Where a service account's calls go. */
export interface VertexTarget {
  project: string;
  location: string;
}

/** The `anthropic_version` Vertex AI expects in a Messages body. */
export const VERTEX_ANTHROPIC_VERSION = 'vertex-2023-10-16';

/** The default Vertex AI base URL of a region. */
export function vertexBaseUrl(location: string): string {
  return `https://${location}-aiplatform.googleapis.com/v1`;
}

/** How one upstream format is called on Vertex AI. */
export interface VertexRoute {
  /** The publisher's root: the format's own paths hang below it (Gemini). */
  basePath: string;
  /** A path of its own for generate calls, when the format's does not apply (Anthropic). */
  chatPath?(model: string, stream: boolean): string;
  /** The body as Vertex takes it, when it differs. */
  body?(body: JsonBody): JsonBody;
  /** Whether the format's token count call exists there. */
  counts: boolean;
}

/** The Vertex route of `format` for `target`; undefined for a format Vertex does not serve. */
export function vertexRoute(format: WireFormat, basePath: string, target: VertexTarget): VertexRoute | undefined {
  const root = `${basePath}/projects/${encodeURIComponent(target.project)}/locations/${encodeURIComponent(target.location)}/publishers`;
  if (format.name === 'gemini') return { basePath: `${root}/google`, counts: true };
  if (format.name !== 'anthropic') return undefined;
  const publisher = `${root}/anthropic`;
  return {
    basePath: publisher,
    counts: false,
    chatPath: (model, stream) => `${publisher}/models/${encodeURIComponent(model)}:${stream ? 'streamRawPredict' : 'rawPredict'}`,
    body(body) {
      const { model: _model, ...rest } = body.value as Record<string, unknown>;
      return JsonBody.fromValue({ anthropic_version: VERTEX_ANTHROPIC_VERSION, ...rest });
    },
  };
}
