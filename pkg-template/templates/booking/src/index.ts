import type { DurableCoreError } from "durable-core";

export { Show } from "./show.js";

/**
 * A small JSON API over the shows; each show is the Durable Object of its name.
 *   GET  /shows/<show>                       availability
 *   POST /shows/<show>/holds                 { customer, seats: [1, 2] } → the hold, or 409 with the unavailable seats
 *   POST /shows/<show>/holds/<id>/confirm    → the booking, or 410 once the hold has expired
 *   DELETE /shows/<show>/holds/<id>          gives the seats back
 * Tests and other Workers can call the same methods over RPC: env.SHOWS.getByName(show).hold(...).
 */
export default {
  async fetch(request, env) {
    const match = new URL(request.url).pathname.match(/^\/shows\/([\w-]{1,64})(\/holds(?:\/([\w-]+)(\/confirm)?)?)?$/);
    if (match === null) return new Response("not found", { status: 404 });
    const [, name = "", holds, holdId, confirm] = match;
    const show = env.SHOWS.getByName(name);
    try {
      if (holds === undefined) return show.fetch(request);
      if (holdId === undefined && request.method === "POST") {
        const { customer, seats } = await request.json<{ customer: string; seats: number[] }>();
        const result = await show.hold(customer, seats);
        return Response.json(result, { status: result.ok ? 201 : 409 });
      }
      if (holdId !== undefined && confirm !== undefined && request.method === "POST") {
        const result = await show.confirm(holdId);
        return Response.json(result, { status: result.ok ? 200 : result.reason === "expired" ? 410 : 404 });
      }
      if (holdId !== undefined && confirm === undefined && request.method === "DELETE") {
        return (await show.release(holdId)) ? new Response(null, { status: 204 }) : new Response("no such hold", { status: 404 });
      }
      return new Response("method not allowed", { status: 405 });
    } catch (error) {
      // Bad input is a DurableCoreError with code ARGUMENT (the object checks it): a 400, with the reason.
      if (error instanceof Error && error.name === "DurableCoreError" && (error as DurableCoreError).code === "ARGUMENT") {
        return Response.json({ error: error.message }, { status: 400 });
      }
      if (error instanceof SyntaxError) return Response.json({ error: "the body is not JSON" }, { status: 400 });
      throw error;
    }
  },
} satisfies ExportedHandler<Env>;
