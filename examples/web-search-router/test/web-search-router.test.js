// @ts-check
/**
 * Unit tests of the plugin in a real worker, through the SDK's harness, with node:test (no
 * test framework needed: `npm test` in this folder). The model is a stub answering
 * ctx.host.executeModel, the search API a local server.
 *
 * The end-to-end test in a real host is test/examples/web-search-router.test.ts at the
 * repository root.
 */
import assert from 'node:assert/strict';
import { createServer } from 'node:http';
import { after, before, describe, it } from 'node:test';
import { fileURLToPath } from 'node:url';
import { HarnessError, createHarness } from '@switchyard/plugin-sdk/testing';

const PLUGIN = fileURLToPath(new URL('..', import.meta.url));

/** @type {{ authorization?: string, body: any }[]} */
const searches = [];
const search = createServer((req, res) => {
  let text = '';
  req.on('data', (c) => (text += c));
  req.on('end', () => {
    searches.push({ authorization: req.headers.authorization, body: JSON.parse(text) });
    res.setHeader('content-type', 'application/json');
    res.end(JSON.stringify({ results: [{ title: 'Node.js 24', url: 'https://nodejs.org/en/blog/release/v24.0.0', content: 'Node.js 24 ships V8 13.6.' }] }));
  });
});

/** @type {import('@switchyard/plugin-sdk').ExecuteModelParams[]} */
const modelCalls = [];
/** The model stub: the first call writes the query, the second answers. */
const executeModel = (/** @type {import('@switchyard/plugin-sdk').ExecuteModelParams} */ params) => {
  modelCalls.push(params);
  const content = modelCalls.length % 2 === 1 ? '"node.js 24 release notes"' : 'Node.js 24 ships V8 13.6 [1].';
  return { status: 200, headers: {}, body: { choices: [{ message: { role: 'assistant', content } }], usage: { prompt_tokens: 10, completion_tokens: 5 } } };
};

/** @type {import('@switchyard/plugin-sdk/testing').PluginHarness} */
let plugin;

before(async () => {
  await new Promise((resolve) => search.listen(0, '127.0.0.1', () => resolve(undefined)));
  const { port } = /** @type {import('node:net').AddressInfo} */ (search.address());
  plugin = await createHarness({
    plugin: PLUGIN,
    config: { searchUrl: `http://127.0.0.1:${port}/search`, maxResults: 3 },
    env: { TAVILY_API_KEY: 'tvly-unit' },
    executeModel,
  });
});
after(async () => {
  await plugin?.close();
  search.close();
});

describe('web-search-router', () => {
  it('registers a router and the web-search executor', () => {
    assert.deepEqual(plugin.registration.capabilities, ['modelRouter', 'executor']);
    assert.equal(plugin.registration.executor?.provider, 'web-search');
  });

  it('routes requests carrying a web-search tool to itself, in every format', async () => {
    const self = { handled: true, targetKind: 'self', targetModel: 'm', reason: 'web-search tool' };
    for (const tools of [
      [{ type: 'function', function: { name: 'web_search' } }],
      [{ type: 'web_search_preview' }],
      [{ type: 'web_search_20250305', name: 'web_search' }],
      [{ googleSearch: {} }],
      [{ google_search: {} }],
    ]) {
      assert.deepEqual(await plugin.route({ requestedModel: 'm', body: { tools } }), self, JSON.stringify(tools));
    }
  });

  it('passes everything else', async () => {
    assert.deepEqual(await plugin.route({ requestedModel: 'm', body: {} }), { handled: false });
    const other = { tools: [{ type: 'function', function: { name: 'get_weather' } }] };
    assert.deepEqual(await plugin.route({ requestedModel: 'm', body: other }), { handled: false });
  });

  it('writes a query, searches, and answers with the results and sources', async () => {
    modelCalls.length = 0;
    searches.length = 0;
    const result = await plugin.execute({ model: 'gpt-4.1', body: { messages: [{ role: 'user', content: 'What is new in Node 24?' }] } });
    const body = /** @type {any} */ (result.body);
    assert.equal(body.choices[0].message.content, 'Node.js 24 ships V8 13.6 [1].\n\nSources:\n[1] Node.js 24: https://nodejs.org/en/blog/release/v24.0.0');
    assert.deepEqual(body.usage, { prompt_tokens: 20, completion_tokens: 10, total_tokens: 30 });
    assert.deepEqual(searches, [{ authorization: 'Bearer tvly-unit', body: { query: 'node.js 24 release notes', max_results: 3 } }]);
    assert.equal(modelCalls.length, 2);
    assert.match(String(/** @type {any} */ (modelCalls[1]?.body).messages[0].content), /nodejs\.org/);
  });

  it('fails like an upstream (502) when the search key is missing', async () => {
    const keyless = await createHarness({ plugin: PLUGIN, executeModel });
    try {
      await assert.rejects(keyless.execute({ model: 'gpt-4.1', body: { messages: [{ role: 'user', content: 'hi' }] } }), (err) => {
        assert.ok(err instanceof HarnessError);
        assert.equal(err.kind, 'error');
        assert.equal(/** @type {{ status?: number }} */ (err.data).status, 502);
        return true;
      });
      assert.match(keyless.logs[0]?.message ?? '', /TAVILY_API_KEY is not set/);
    } finally {
      await keyless.close();
    }
  });
});
