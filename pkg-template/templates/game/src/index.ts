export { Match } from "./match.js";

/**
 * `/matches/<id>/socket?name=<name>` (WebSocket) joins a match, `GET /matches/<id>` reads it.
 * Each match is the Durable Object of its id.
 */
export default {
  fetch(request, env) {
    const match = new URL(request.url).pathname.match(/^\/matches\/([\w-]{1,64})(?:\/socket)?$/);
    if (match?.[1] === undefined) return new Response("not found", { status: 404 });
    return env.MATCHES.getByName(match[1]).fetch(request);
  },
} satisfies ExportedHandler<Env>;
