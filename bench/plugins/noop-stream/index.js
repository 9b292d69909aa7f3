// Bench: a stream interceptor that keeps every event, to price one hop per stream event.
export default { streamInterceptor: () => undefined };
