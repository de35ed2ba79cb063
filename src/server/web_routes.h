// SPDX-License-Identifier: MIT
#pragma once

namespace httplib {
class Server;
}

namespace facegate {

// GET (and HEAD) routes for the pages built into the binary: / (what facegate is), /signup, /signin,
// /admin, and their /css, /js and /img files. Every response carries a Content-Security-Policy that
// allows nothing but this origin (no inline script, no CDN), nosniff and Cache-Control.
// An unknown path under /css, /js or /img is a 404 with an empty body (the server's error handler fills it).
void install_web_routes(httplib::Server& server);

} // namespace facegate
