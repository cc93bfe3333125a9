// base64url (RFC 4648 section 5, no padding) as used by JWS segments and JWK members. Decoding is
// strict: padding, whitespace and characters outside the URL-safe alphabet are rejected rather
// than skipped, so a token has exactly one textual form. Pure functions; thread-safe.
#pragma once

#include <optional>
#include <string>
#include <string_view>

namespace toolgate {

std::string base64url_encode(std::string_view bytes);
// nullopt when `text` is not canonical unpadded base64url.
std::optional<std::string> base64url_decode(std::string_view text);

}  // namespace toolgate
