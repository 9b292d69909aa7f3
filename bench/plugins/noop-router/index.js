// Bench: a router that never routes, to price one router hop per request.
export default { modelRouter: () => ({ handled: false }) };
