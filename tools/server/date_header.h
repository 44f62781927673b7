// The value of an answer's Date header (RFC 9110 §6.6.1), formatted at most
// once a second: each event loop keeps one, so that a request does not pay
// for formatting the date.
//
// Thread safety: none; one per event loop, used on its thread only.
#ifndef CASK_TOOLS_SERVER_DATE_HEADER_H_
#define CASK_TOOLS_SERVER_DATE_HEADER_H_

#include <ctime>
#include <string>

#include "absl/time/clock.h"
#include "meta_headers.h"

namespace cask::server {

class DateHeader {
 public:
  // The current second as an HTTP date ("Sun, 06 Nov 1994 08:49:37 GMT").
  const std::string& Now() {
    std::time_t now = std::time(nullptr);
    if (now != second_) {
      second_ = now;
      value_ = http_protocol::HttpDate(absl::FromTimeT(now));
    }
    return value_;
  }

 private:
  std::string value_;
  std::time_t second_ = 0;
};

}  // namespace cask::server

#endif  // CASK_TOOLS_SERVER_DATE_HEADER_H_
