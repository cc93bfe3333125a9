// shortener plugin: per-tenant short URLs in SQLite. create_short_url, resolve_short_url
// (counts hits), list_short_urls and delete_short_url. The tenant always comes from the host's
// principal, never from arguments, so a caller cannot name another tenant's data.
//
// Config (manifest "config"):
//   database  absolute path of the SQLite file. Default: $XDG_STATE_HOME/toolgate/shortener.db,
//             else ~/.local/state/toolgate/shortener.db. Relative paths are refused, because a
//             client may start toolgate from any directory.
//   baseUrl   optional, e.g. "https://go.example.com/": results then carry shortUrl = baseUrl+code.
#include <toolgate/plugin.hpp>

#include <boost/json.hpp>

#include <cstdlib>
#include <memory>

#include "store.hpp"
#include "url_rules.hpp"

namespace json = boost::json;
using namespace toolgate::shortener;

namespace {

// Created by init, before any call; the Store does its own locking.
std::unique_ptr<Store> g_store;
std::string g_base_url;
std::string g_config_problem;  // why no database path could be chosen, reported per call

std::string default_database() {
  const char* state = std::getenv("XDG_STATE_HOME");
  if (state && state[0] == '/') return std::string(state) + "/toolgate/shortener.db";
  const char* home = std::getenv("HOME");
  if (home && home[0] == '/') return std::string(home) + "/.local/state/toolgate/shortener.db";
  return "";
}

void configure(std::string_view config_json) {
  json::value cfg = config_json.empty() ? json::value(json::object()) : json::parse(config_json);
  if (!cfg.is_object()) throw std::invalid_argument("shortener config: expected a JSON object");
  std::string database;
  std::string base_url;
  for (const auto& [key, value] : cfg.as_object()) {
    if (key == "database") {
      if (!value.is_string() || value.as_string().empty() || value.as_string()[0] != '/')
        throw std::invalid_argument("shortener config: \"database\" must be an absolute file path");
      database = std::string(value.as_string());
    } else if (key == "baseUrl") {
      if (!value.is_string()) throw std::invalid_argument("shortener config: \"baseUrl\" must be a string");
      base_url = std::string(value.as_string());
      if (std::string why = url_problem(base_url); !why.empty())
        throw std::invalid_argument("shortener config: \"baseUrl\": " + why);
      if (base_url.back() != '/') base_url.push_back('/');
    } else {
      throw std::invalid_argument("shortener config: unknown key \"" + std::string(key) +
                                  "\" (expected database, baseUrl)");
    }
  }
  if (database.empty()) database = default_database();
  // Without HOME there is no default; loading still succeeds so other plugins and tools work,
  // and each call says what to configure.
  g_config_problem = database.empty()
                         ? "the shortener has no database: set \"database\" in its manifest config (HOME and "
                           "XDG_STATE_HOME are not set)"
                         : "";
  g_store = database.empty() ? nullptr : std::make_unique<Store>(database);
  g_base_url = base_url;
}

Store& store() {
  if (!g_store) throw StoreError(g_config_problem);
  return *g_store;
}

std::string tenant_of(toolgate::Call& call) {
  std::string tenant = call.principal().tenant;
  if (tenant.empty()) throw StoreError("the caller has no tenant, so there is nowhere to keep short URLs");
  return tenant;
}

std::string not_found(const std::string& code) {
  // Identical for "never existed" and "belongs to another tenant": nothing leaks across tenants.
  return "no short URL with code '" + code + "'";
}

json::object link_json(const Link& l) {
  json::object o{{"code", l.code}, {"url", l.url}, {"hits", l.hits}, {"createdAt", l.created_at}};
  if (!l.created_by.empty()) o["createdBy"] = l.created_by;
  if (!l.last_hit_at.empty()) o["lastHitAt"] = l.last_hit_at;
  if (!g_base_url.empty()) o["shortUrl"] = g_base_url + l.code;
  return o;
}

toolgate::Result structured(const std::string& text, const json::object& o) {
  return toolgate::Result::text(text).set_structured(json::serialize(o));
}

// Arguments below were validated against the manifest's inputSchema by the host.
toolgate::Result create_short_url(toolgate::Call& call, std::string_view args) {
  json::object a = json::parse(args).as_object();
  std::string url(a.at("url").as_string());
  std::string code = a.contains("code") ? std::string(a.at("code").as_string()) : "";
  if (std::string why = url_problem(url); !why.empty()) return toolgate::Result::error("invalid URL: " + why);
  if (!code.empty() && !valid_code(code))
    return toolgate::Result::error("invalid code '" + code + "': use 3-64 characters of A-Z a-z 0-9 _ -");
  try {
    Link l = store().create(tenant_of(call), call.principal().subject, code, url);
    json::object o = link_json(l);
    return structured("created " + (g_base_url.empty() ? l.code : g_base_url + l.code) + " -> " + l.url, o);
  } catch (const DuplicateCode& e) {
    return toolgate::Result::error(e.what());
  }
}

toolgate::Result resolve_short_url(toolgate::Call& call, std::string_view args) {
  json::object a = json::parse(args).as_object();
  std::string code(a.at("code").as_string());
  std::optional<Link> l = store().resolve(tenant_of(call), code);
  if (!l) return toolgate::Result::error(not_found(code));
  return structured(code + " -> " + l->url + " (" + std::to_string(l->hits) + " hits)", link_json(*l));
}

toolgate::Result list_short_urls(toolgate::Call& call, std::string_view args) {
  json::object a = json::parse(args).as_object();
  std::int64_t limit = a.contains("limit") ? a.at("limit").to_number<std::int64_t>() : 100;
  std::int64_t offset = a.contains("offset") ? a.at("offset").to_number<std::int64_t>() : 0;
  std::int64_t total = 0;
  std::vector<Link> links = store().list(tenant_of(call), limit, offset, total);
  json::array items;
  std::string text = std::to_string(total) + " short URL(s)";
  if (links.size() != static_cast<std::size_t>(total))
    text += ", showing " + std::to_string(offset + (links.empty() ? 0 : 1)) + "-" + std::to_string(offset + links.size());
  for (const auto& l : links) {
    items.push_back(link_json(l));
    text += "\n  " + l.code + " -> " + l.url + " (" + std::to_string(l.hits) + " hits)";
  }
  return structured(text, {{"urls", std::move(items)}, {"total", total}, {"limit", limit}, {"offset", offset}});
}

toolgate::Result delete_short_url(toolgate::Call& call, std::string_view args) {
  json::object a = json::parse(args).as_object();
  std::string code(a.at("code").as_string());
  if (!store().remove(tenant_of(call), code)) return toolgate::Result::error(not_found(code));
  return structured("deleted " + code, {{"code", code}, {"deleted", true}});
}

}  // namespace

TOOLGATE_PLUGIN("shortener", "1.0.0") {
  plugin.on_init([](const tg_host_api*, std::string_view config) { configure(config); });
  plugin.tool("create_short_url", create_short_url);
  plugin.tool("resolve_short_url", resolve_short_url);
  plugin.tool("list_short_urls", list_short_urls);
  plugin.tool("delete_short_url", delete_short_url);
}
