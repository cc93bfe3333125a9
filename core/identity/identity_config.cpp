#include "identity/identity_config.hpp"
#include "policy/principal.hpp"

namespace toolgate {

namespace {

bool is_env_name(const std::string& s) {
  if (s.empty() || (s[0] >= '0' && s[0] <= '9')) return false;
  for (char c : s) {
    bool ok = (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '_';
    if (!ok) return false;
  }
  return true;
}

std::string resolve(const std::filesystem::path& base_dir, const std::string& p) {
  std::filesystem::path path(p);
  if (path.is_relative()) path = base_dir / path;
  return path.lexically_normal().string();
}

// A non-empty string field; "" is as useless as a missing value, so it gets its own message.
std::optional<std::string> non_empty(JsonObjectReader& r, const std::string& key, bool required) {
  auto v = r.string(key, required);
  if (v && v->empty()) {
    r.errors().add(r.child_path(key), "must not be empty");
    return std::nullopt;
  }
  return v;
}

JwtConfig parse_jwt(JsonObjectReader& r, const std::filesystem::path& base_dir) {
  JwtConfig c;
  auto jwks = non_empty(r, "jwks", false);
  auto pem = non_empty(r, "pem", false);
  if (jwks && pem) {
    r.errors().add(r.path(), "set either jwks or pem, not both");
  } else if (!jwks && !pem && !r.has("jwks") && !r.has("pem")) {
    r.errors().add(r.path(), "set jwks (a JWKS file) or pem (a PEM public key file)");
  }
  if (jwks) c.jwks_file = resolve(base_dir, *jwks);
  if (pem) c.pem_file = resolve(base_dir, *pem);
  c.issuer = non_empty(r, "issuer", true).value_or("");
  c.audience = non_empty(r, "audience", true).value_or("");
  c.leeway_seconds = static_cast<int>(r.integer_or("leewaySeconds", 60, 0, 300));
  c.tenant_claim = non_empty(r, "tenantClaim", false).value_or("tenant");
  c.subject_claim = non_empty(r, "subjectClaim", false).value_or("sub");
  c.default_tenant = non_empty(r, "defaultTenant", false);
  r.finish();
  return c;
}

}  // namespace

IdentityConfig parse_identity_config(JsonObjectReader& r, const std::filesystem::path& base_dir) {
  IdentityConfig c;
  if (auto env = r.string("tokenEnv")) {
    if (is_env_name(*env))
      c.token_env = *env;
    else
      r.errors().add(r.child_path("tokenEnv"), "expected an environment variable name ([A-Za-z_][A-Za-z0-9_]*)");
  }
  if (auto keys = non_empty(r, "keysFile", false)) c.keys_file = resolve(base_dir, *keys);

  JsonObjectReader jwt = r.object("jwt");
  if (jwt.present()) c.jwt = parse_jwt(jwt, base_dir);

  JsonObjectReader anon = r.object("anonymous");
  if (anon.present()) {
    AnonymousConfig a;
    a.tenant = non_empty(anon, "tenant", false).value_or("anonymous");
    if (auto problem = principal_name_problem(a.tenant)) anon.errors().add(anon.child_path("tenant"), *problem);
    auto scopes = anon.string_array("scopes");
    a.scopes = scopes.value_or(std::vector<std::string>{});
    for (std::size_t i = 0; i < a.scopes.size(); ++i)
      if (a.scopes[i].empty()) anon.errors().add(anon.child_path("scopes") + "[" + std::to_string(i) + "]", "must not be empty");
    if (!anon.has("scopes") || (scopes && scopes->empty()))
      anon.errors().add(anon.child_path("scopes"),
                        "an anonymous caller needs at least one scope (without any it could call nothing; leave "
                        "identity.anonymous out to require a credential)");
    anon.finish();
    if (!a.scopes.empty()) c.anonymous = std::move(a);
  }
  r.finish();
  return c;
}

}  // namespace toolgate
