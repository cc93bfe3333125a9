// What the shortener accepts: http(s) URLs it is willing to hand back to people, code syntax,
// and random code generation. Pure functions; safe from any thread.
#pragma once

#include <string>

namespace toolgate::shortener {

// Empty if `url` is an acceptable http/https URL, otherwise the reason it is not.
std::string url_problem(const std::string& url);

// Codes are 3-64 characters of A-Z a-z 0-9 _ -, so they fit in a URL path unescaped.
bool valid_code(const std::string& code);

// A fresh 7-character code from the kernel's CSPRNG: unguessable, so codes do not enumerate.
std::string random_code();

}  // namespace toolgate::shortener
