import page from "./page.html";
import { isRoomName } from "./protocol.js";

export { Room } from "./room.js";

/**
 * `GET /` is the page; `/rooms/<name>/socket` (WebSocket) and `GET /rooms/<name>` (JSON) go to
 * the room of that name. `getByName` gives the same object for the same name, wherever the
 * request arrives.
 */
export default {
  fetch(request, env) {
    const { pathname } = new URL(request.url);
    if (pathname === "/") {
      return new Response(page, { headers: { "content-type": "text/html; charset=utf-8" } });
    }
    const [, room] = pathname.match(/^\/rooms\/([^/]+)(?:\/socket)?$/) ?? [];
    if (room === undefined) return new Response("not found", { status: 404 });
    if (!isRoomName(room)) {
      return new Response("a room name is 1 to 32 lowercase letters, digits or dashes", { status: 400 });
    }
    return env.ROOMS.getByName(room).fetch(request);
  },
} satisfies ExportedHandler<Env>;
