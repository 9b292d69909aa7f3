// Bench: the floor of a plugin hop, a piscina worker that answers a JSON-RPC call at once.
export default ({ request }) => ({ jsonrpc: '2.0', id: request.id, result: { handled: false } });
