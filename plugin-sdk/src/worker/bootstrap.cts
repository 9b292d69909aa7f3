/**
 * The module piscina loads in each plugin worker (`@switchyard/plugin-sdk/worker/bootstrap`).
 * piscina `require()`s a task module before it tries `import()`, and on Node 20 a `require()` of
 * an ES module (the worker runtime is one) now and then aborts the whole process with a V8 fatal
 * error ("IsGraphAsync must be used on an instantiated module"). This CommonJS module imports
 * the runtime instead and exports the promise of its call handler, which piscina awaits when
 * the worker starts: the plugin's setup still runs at start-up, and a setup that throws still
 * fails it, with the plugin's own error.
 */
export = import('./entry.js').then((runtime) => runtime.default);
