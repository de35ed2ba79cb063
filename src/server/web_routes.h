// SPDX-License-Identifier: MIT
#pragma once

#include "server/router.h"

namespace facegate {

// GET (and HEAD) routes for the pages built into the binary: / (what facegate is), /signup, /signin,
// /admin, and their /css, /js and /img files, answered inline (they are in memory). Every response
// carries a Content-Security-Policy that allows nothing but this origin (no inline script, no CDN),
// nosniff and Cache-Control. An unknown file under /css, /js or /img is a 404.
void install_web_routes(Router& router);

} // namespace facegate
