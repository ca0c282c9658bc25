#ifndef WEBHOOK_HUB_DETAIL_CATALOGUE_HTTP_HPP
#define WEBHOOK_HUB_DETAIL_CATALOGUE_HTTP_HPP

// What the catalogue says about an endpoint's requests apart from the body: the method, the
// headers, the authentication and the signature. Names and shapes only: no value of a
// secret, header or key is ever read here, except the first characters of Standard Webhooks
// keys (`whsec_`, `whsk_`), which name the signature version and are no secret.

#include <webhook/config/detail/text.hpp>
#include <webhook/config/options.hpp>
#include <webhook/transport/detail/reserved_headers.hpp>

#include <boost/beast/http/verb.hpp>
#include <boost/json/array.hpp>
#include <boost/json/object.hpp>

#include <algorithm>
#include <string>
#include <string_view>
#include <variant>
#include <vector>

namespace webhook::detail {

/// One request header as the documents describe it.
struct catalogue_header {
    std::string name;
    boost::json::object schema;
    std::string description;
};

/// `post`, `put` or `patch`: what `validate` allows. Any other verb is shown as `post`.
inline std::string catalogue_method(boost::beast::http::verb method) {
    if (method == boost::beast::http::verb::put)
        return "put";
    if (method == boost::beast::http::verb::patch)
        return "patch";
    return "post";
}

inline boost::json::object catalogue_string_schema(std::string pattern = {}) {
    boost::json::object s{{"type", "string"}};
    if (!pattern.empty())
        s["pattern"] = std::move(pattern);
    return s;
}

/// `text` matched literally by an ECMA-262 regular expression, also in Unicode mode (where
/// only syntax characters and `/` may be escaped).
inline std::string catalogue_regex_literal(std::string_view text) {
    std::string out;
    for (const char c : text) {
        if (std::string_view("\\^$.|?*+()[]{}/").find(c) != std::string_view::npos)
            out.push_back('\\');
        out.push_back(c);
    }
    return out;
}

/// The pattern of an HMAC header's value: the prefix, then the digest in its encoding.
inline std::string catalogue_hmac_pattern(const hmac_header_signing& s) {
    const bool sha512 = s.algorithm == hmac_algorithm::sha512;
    std::string digest;
    if (s.encoding == signature_encoding::hex)
        digest = sha512 ? "[0-9a-f]{128}" : "[0-9a-f]{64}";
    else // 64 bytes: 86 characters and `==`; 32 bytes: 43 and `=`
        digest = sha512 ? "[A-Za-z0-9+/]{86}==" : "[A-Za-z0-9+/]{43}=";
    return "^" + catalogue_regex_literal(s.prefix) + digest + "$";
}

/// The signing headers of `s`, appended to `out`.
inline void catalogue_signing_headers(const signing& s, std::vector<catalogue_header>& out) {
    const std::string seconds = "^[0-9]+$";
    if (std::holds_alternative<standard_webhooks_signing>(s)) {
        out.push_back({std::string(webhook_timestamp_header), catalogue_string_schema(seconds),
                       "When this attempt was signed: Unix time in seconds. Refuse requests "
                       "too far from your clock (Standard Webhooks allows five minutes)."});
        out.push_back({std::string(webhook_signature_header),
                       catalogue_string_schema("^v1a?,[A-Za-z0-9+/=]+( v1a?,[A-Za-z0-9+/=]+)*$"),
                       "Standard Webhooks signatures of `<webhook-id>.<webhook-timestamp>.<body>`, "
                       "space-separated: `v1,<base64>` (HMAC-SHA256) or `v1a,<base64>` "
                       "(Ed25519). Accept the request when one of them verifies."});
    } else if (const auto* hmac = std::get_if<hmac_header_signing>(&s)) {
        const std::string content = hmac->timestamp_header.empty()
                                        ? "the body"
                                        : "`<" + hmac->timestamp_header + ">.<body>`";
        out.push_back(
            {hmac->header, catalogue_string_schema(catalogue_hmac_pattern(*hmac)),
             std::string("HMAC-") +
                 (hmac->algorithm == hmac_algorithm::sha512 ? "SHA512" : "SHA256") + " of " +
                 content + ", " +
                 (hmac->encoding == signature_encoding::hex ? "hexadecimal" : "base64") +
                 (hmac->prefix.empty() ? "" : ", after the prefix `" + hmac->prefix + "`") + "."});
        if (!hmac->timestamp_header.empty())
            out.push_back({hmac->timestamp_header, catalogue_string_schema(seconds),
                           "When this attempt was signed: Unix time in seconds."});
    }
}

/** Every header the endpoint's requests carry that a receiver may look at, besides
    `Authorization` (see the security schemes) and the framing ones: `webhook-id` first, then
    `Content-Type` when `with_content_type` (OpenAPI ignores it as a parameter), the
    signature, the encoding and the operator's extra headers (their names only). A name
    repeated in another case is listed once, as HTTP compares names without case. */
inline std::vector<catalogue_header> catalogue_headers(const endpoint& e, bool with_content_type) {
    std::vector<catalogue_header> all;
    all.push_back({std::string(webhook_id_header), catalogue_string_schema(),
                   "The event's id: the same on every attempt to deliver it (a batch carries "
                   "its first event's). Use it to drop duplicates."});
    if (with_content_type)
        all.push_back({"Content-Type", {{"type", "string"}, {"const", "application/json"}}, ""});
    catalogue_signing_headers(e.signing, all);
    if (e.compression == compression::gzip)
        all.push_back({"Content-Encoding",
                       {{"type", "string"}, {"const", "gzip"}},
                       "The body is gzip-compressed."});
    for (const auto& h : e.headers)
        all.push_back({h.name, catalogue_string_schema(),
                       "Set by the sender's configuration (the value is not shown here)."});
    std::vector<catalogue_header> unique;
    for (auto& h : all) {
        bool seen = false;
        for (const auto& u : unique)
            seen = seen || iequals(u.name, h.name);
        if (!seen)
            unique.push_back(std::move(h));
    }
    return unique;
}

/** The signature scheme as the `x-webhook-signature` extension, or null: what a receiver
    needs to verify, never a key. */
inline boost::json::value catalogue_signature_extension(const signing& s) {
    if (const auto* standard = std::get_if<standard_webhooks_signing>(&s)) {
        boost::json::array versions;
        const auto add = [&](std::string_view v) {
            if (std::find(versions.begin(), versions.end(), boost::json::value(v)) ==
                versions.end())
                versions.emplace_back(v);
        };
        for (const auto& key : standard->keys) // the prefix tells the kind, and is public
            add(key.reveal().starts_with("whsk_") ? "v1a" : "v1");
        return boost::json::object{{"scheme", "standard-webhooks"},
                                   {"specification", "https://www.standardwebhooks.com/"},
                                   {"versions", std::move(versions)}};
    }
    if (const auto* hmac = std::get_if<hmac_header_signing>(&s)) {
        boost::json::object out{
            {"scheme", "hmac"},
            {"header", hmac->header},
            {"algorithm", hmac->algorithm == hmac_algorithm::sha512 ? "sha512" : "sha256"},
            {"encoding", hmac->encoding == signature_encoding::hex ? "hex" : "base64"},
            {"prefix", hmac->prefix}};
        if (!hmac->timestamp_header.empty())
            out["timestampHeader"] = hmac->timestamp_header;
        return out;
    }
    return nullptr;
}

/// The scopes of an OAuth 2.0 client, split at spaces, in their order, without repeats.
inline std::vector<std::string> catalogue_scopes(std::string_view scope) {
    std::vector<std::string> out;
    while (!scope.empty()) {
        const std::size_t space = std::min(scope.find(' '), scope.size());
        const std::string one(scope.substr(0, space));
        if (!one.empty() && std::find(out.begin(), out.end(), one) == out.end())
            out.push_back(one);
        scope.remove_prefix(std::min(space + 1, scope.size()));
    }
    return out;
}

/** The security scheme of `auth` in AsyncAPI 3.0 (`openapi` false) or OpenAPI 3.1 form, and
    the component key it would like; null for `no_auth`. The token URL goes through
    `redact_url`, like every URL the library shows; client ids and secrets are left out. */
inline boost::json::value catalogue_security_scheme(const authentication& auth, bool openapi,
                                                    std::string& wanted_key) {
    if (std::holds_alternative<basic_auth>(auth)) {
        wanted_key = "basicAuth";
        return boost::json::object{{"type", "http"}, {"scheme", "basic"}};
    }
    if (std::holds_alternative<bearer_auth>(auth)) {
        wanted_key = "bearerAuth";
        return boost::json::object{{"type", "http"}, {"scheme", "bearer"}};
    }
    const auto* oauth = std::get_if<oauth2_client_credentials>(&auth);
    if (oauth == nullptr)
        return nullptr;
    wanted_key = "oauth2";
    boost::json::object scopes;
    for (const auto& s : catalogue_scopes(oauth->scope))
        scopes[s] = "";
    boost::json::object flow{{"tokenUrl", redact_url(oauth->token_url)}};
    flow[openapi ? "scopes" : "availableScopes"] = std::move(scopes);
    boost::json::object scheme{{"type", "oauth2"},
                               {"flows", boost::json::object{{"clientCredentials", flow}}}};
    if (!openapi) { // AsyncAPI 3.0 names the scopes an operation needs on the scheme itself
        boost::json::array needed;
        for (const auto& s : catalogue_scopes(oauth->scope))
            needed.emplace_back(s);
        scheme["scopes"] = std::move(needed);
    }
    return scheme;
}

} // namespace webhook::detail

#endif
