// SPDX-License-Identifier: MIT
#pragma once

#include "server/router.h"

#include <span>
#include <string>
#include <vector>

namespace facegate {

struct WebRoutesConfig {
    // origins ("https://app.example.com") allowed to frame the capture pages (/signup, /signin, /s/{id}):
    // the SDK's modal on an application's page. Every other page may be framed by nobody
    std::vector<std::string> frame_origins;
};

// GET (and HEAD) routes for the pages built into the binary: / (what facegate is), /signup, /signin,
// /admin, and their /css, /js and /img files, answered inline (they are in memory). Every response
// carries a Content-Security-Policy that allows nothing but this origin (no inline script, no CDN),
// nosniff and Cache-Control. An unknown file under /css, /js, /img or /sdk is a 404.
// /sdk/facegate.js (and its .d.ts) is the drop-in SDK: served to any origin (CORS *), since an
// application's page imports it as a module script from facegate's origin.
void install_web_routes(Router& router, const WebRoutesConfig& config = {});

// the pages' Content-Security-Policy; `frame_origins` (already validated origins) may frame the page
std::string page_security_policy(std::span<const std::string> frame_origins = {});

} // namespace facegate
