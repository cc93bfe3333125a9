// URL and code rules for the shortener (see url_rules.hpp).
#include "url_rules.hpp"

#include <sys/random.h>

#include <cctype>
#include <stdexcept>

namespace toolgate::shortener {

namespace {

bool starts_with_ci(const std::string& s, const std::string& prefix) {
  if (s.size() < prefix.size()) return false;
  for (std::size_t i = 0; i < prefix.size(); ++i)
    if (std::tolower(static_cast<unsigned char>(s[i])) != prefix[i]) return false;
  return true;
}

bool valid_port(const std::string& p) {
  if (p.empty() || p.size() > 5 || p.find_first_not_of("0123456789") != std::string::npos) return false;
  int n = std::stoi(p);
  return n >= 1 && n <= 65535;
}

}  // namespace

std::string url_problem(const std::string& url) {
  if (url.size() > 2048) return "the URL is longer than 2048 characters";
  for (unsigned char c : url)
    if (c <= 0x20 || c >= 0x7f)
      return "the URL contains spaces, control or non-ASCII characters; percent-encode them";
  std::size_t rest;
  if (starts_with_ci(url, "https://"))
    rest = 8;
  else if (starts_with_ci(url, "http://"))
    rest = 7;
  else
    return "only http:// and https:// URLs can be shortened";
  std::size_t end = url.find_first_of("/?#", rest);
  std::string authority = url.substr(rest, end == std::string::npos ? std::string::npos : end - rest);
  if (authority.empty()) return "the URL has no host";
  // user:password@host hides the real destination from whoever reads the link.
  if (authority.find('@') != std::string::npos) return "URLs with credentials (user@host) are not accepted";
  std::string host = authority, port;
  if (host[0] == '[') {
    std::size_t close = host.find(']');
    if (close == std::string::npos || close == 1) return "the URL has a malformed IPv6 host";
    for (char c : host.substr(1, close - 1))
      if (!std::isxdigit(static_cast<unsigned char>(c)) && c != ':' && c != '.') return "the URL has a malformed IPv6 host";
    std::string after = host.substr(close + 1);
    if (!after.empty() && (after[0] != ':' || !valid_port(after.substr(1)))) return "the URL has an invalid port";
    return "";
  }
  if (auto colon = host.find(':'); colon != std::string::npos) {
    port = host.substr(colon + 1);
    host = host.substr(0, colon);
    if (!valid_port(port)) return "the URL has an invalid port";
  }
  if (host.empty() || host.size() > 253) return "the URL has no valid host";
  std::size_t label = 0;
  for (char c : host) {
    if (c == '.') {
      if (label == 0) return "the URL's host '" + host + "' has an empty label";
      label = 0;
    } else if (std::isalnum(static_cast<unsigned char>(c)) || c == '-' || c == '_') {
      if (++label > 63) return "the URL's host has a label longer than 63 characters";
    } else {
      return "the URL's host '" + host + "' contains characters a hostname cannot have";
    }
  }
  return "";
}

bool valid_code(const std::string& code) {
  if (code.size() < 3 || code.size() > 64) return false;
  for (unsigned char c : code)
    if (!std::isalnum(c) && c != '_' && c != '-') return false;
  return true;
}

std::string random_code() {
  static const char alphabet[] = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789";
  std::string code;
  while (code.size() < 7) {
    unsigned char buf[16];
    if (getrandom(buf, sizeof buf, 0) != static_cast<ssize_t>(sizeof buf))
      throw std::runtime_error("cannot read random bytes for a new code");
    // 248 = 4 * 62: rejecting larger bytes keeps every character equally likely.
    for (unsigned char b : buf)
      if (b < 248 && code.size() < 7) code.push_back(alphabet[b % 62]);
  }
  return code;
}

}  // namespace toolgate::shortener
