/**
 * The plugin templates of `switchyard new-plugin`, one per capability, and the files every
 * scaffolded package shares: package.json and README.md.
 *
 * @module
 */
import { executor } from './executor.js';
import { interceptor } from './interceptor.js';
import { router } from './router.js';
import { scheduler } from './scheduler.js';
import type { PluginTemplate } from './template.js';

/** The templates by `--capability` value. */
export const templates: Record<string, PluginTemplate> = { router, executor, interceptor, scheduler };

/** What the scaffold is made for. */
export interface ScaffoldOptions {
  /** The plugin id, package name, and for an executor its provider and model. */
  name: string;
  /** The capability's template. */
  template: PluginTemplate;
  /** `switchyard.protocol` of the package. */
  protocolRange: string;
  /** Absolute path of the SDK the package's tests link to. */
  sdkDir: string;
}

/** Every file of a new plugin package, by path relative to its folder. */
export function scaffold(options: ScaffoldOptions): Record<string, string> {
  const { name, template } = options;
  return {
    'package.json': packageJson(options),
    'index.js': template.index(name),
    'test/plugin.test.js': template.test(name),
    'README.md': readme(name, template),
  };
}

function packageJson({ name, template, protocolRange, sdkDir }: ScaffoldOptions): string {
  const pkg = {
    name,
    version: '0.1.0',
    description: `Switchyard plugin: ${template.summary}`,
    type: 'module',
    main: 'index.js',
    // A file: dependency cannot be published; the flag keeps an accidental `npm publish` from trying.
    private: true,
    switchyard: { id: name, protocol: protocolRange },
    scripts: { test: 'node --test' },
    // The SDK is not on the npm registry: the tests use this checkout's, through a link.
    devDependencies: { '@switchyard/plugin-sdk': `file:${sdkDir}` },
  };
  return `${JSON.stringify(pkg, null, 2)}\n`;
}

function readme(name: string, template: PluginTemplate): string {
  const rows = template.config(name).map(([key, type, value, meaning]) => `| \`${key}\` | \`${type}\` | \`${value}\` | ${meaning} |`);
  return `# ${name}

A Switchyard plugin (capability \`${template.capability}\`) that ${template.summary}.

It is plain JavaScript with no runtime dependency, so the gateway loads it as is: \`index.js\`
is the whole plugin.

## Config

Set under \`plugins.items.${name}.config\` in \`switchyard.yaml\`; every key is optional.

| Key | Type | Default | Meaning |
|---|---|---|---|
${rows.join('\n')}

A bad value makes the plugin's \`setup\` throw: the gateway then reports the plugin as failed to
start, with the reason, and keeps serving without it.

## Test

\`\`\`sh
npm install   # links @switchyard/plugin-sdk, whose test harness runs the plugin in a real worker
npm test      # node --test: test/plugin.test.js
\`\`\`

## Check

\`\`\`sh
switchyard plugins check .
\`\`\`

validates the package (\`switchyard\` field, protocol range) and starts it in a worker with the
register handshake, exactly as the gateway will; it prints the capabilities or the reason it
would not load.

## Load it

The gateway loads every plugin folder inside its plugins dir, and watches that dir: put this
folder there (copy, move or symlink it), or point \`plugins.dir\` at the folder that holds it
(that replaces the bundled plugins dir). Then give it an item:

\`\`\`yaml
plugins:
  dir: ./plugins
  items:
    ${name}:
      priority: 10          # higher runs first among plugins of the same capability
      config: ${template.exampleConfig}
\`\`\`

\`switchyard plugins list\` shows what the config loads, and \`GET /v0/management/plugins\`
what the running gateway did.
`;
}
