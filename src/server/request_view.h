// SPDX-License-Identifier: MIT
#pragma once

#include "auth/sigv4.h"

namespace httplib {
struct Request;
}

namespace facegate {

// the request as SigV4 sees it: the path and query exactly as on the wire (httplib's `path` is
// already decoded, so they come from the raw target); the views point into `request`
HttpRequestView request_view(const httplib::Request& request);

} // namespace facegate
