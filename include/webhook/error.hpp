#ifndef WEBHOOK_ERROR_HPP
#define WEBHOOK_ERROR_HPP

#include <boost/system/error_code.hpp>

#include <string>
#include <type_traits>

namespace webhook {

/** Error conditions reported by the library.

    Every error is carried in a `boost::system::error_code` whose category is
    `webhook::error_category()`; throwing overloads wrap it in
    `boost::system::system_error`.
*/
enum class error {
    /// A string is not valid UTF-8 (and the policy is `utf8_policy::reject`).
    invalid_utf8 = 1,
    /// A floating-point value is NaN or infinite (and the policy is `non_finite_policy::reject`).
    non_finite_number,
    /// An enumeration value has no name in its `BOOST_DESCRIBE_ENUM`.
    unnamed_enum_value,
    /// A `std::variant` is valueless by exception.
    valueless_variant,
    /// A time point lies outside the years 0000 to 9999 that RFC 3339 can express.
    time_out_of_range,
    /// A data location has an empty segment, as in `root//result`.
    empty_path_segment,
    /// A data location contains a NUL or another control character.
    control_character_in_path,

    /// A URL is not a valid absolute URL.
    invalid_url,
    /// A URL's scheme is neither `http` nor `https`.
    unsupported_url_scheme,
    /// A URL carries a user name or password; configure authentication instead.
    url_has_credentials,
    /// A header name is empty or not an HTTP token (RFC 9110).
    invalid_header_name,
    /// A header value contains CR, LF, NUL or another control character.
    invalid_header_value,
    /// A Basic authentication user-id contains `:` (RFC 7617).
    colon_in_user_id,
    /// The request method is not POST, PUT or PATCH.
    unsupported_method,
    /// The response body is larger than the configured limit.
    response_body_too_large,
    /// The HTTP proxy refused or failed the CONNECT request.
    proxy_connect_failed,

    /// The dispatcher's queue is full (and the overflow policy rejects or the wait timed out).
    queue_full,
    /// The dispatcher is shutting down and accepts no more events.
    dispatcher_stopped,
    /// The request body is larger than the endpoint's maximum body size.
    request_body_too_large,
    /// The endpoint URL has a placeholder that names no usable member of the event.
    url_placeholder_mismatch,
    /// The receiver answered with a status that is not retried (3xx, 4xx, 501).
    rejected_by_receiver,
    /// The receiver answered 410 Gone: the endpoint no longer exists.
    endpoint_gone,
    /// Every attempt the retry policy allows failed.
    retries_exhausted,
    /// The event was dropped from a full queue to make room for a newer one.
    dropped_from_full_queue,
    /// The dispatcher shut down before the event could be delivered.
    abandoned_at_shutdown,

    /// The spool holds as many bytes as it may; the event was not accepted.
    spool_full,
    /// The event was older than the endpoint's maximum event age before it could be delivered.
    event_expired,
    /// A spool record is damaged or malformed (bad length, checksum or field).
    spool_record_corrupt,

    /// A signing secret or key is malformed (e.g. not `whsec_` followed by base64).
    invalid_signing_secret,
    /// A request to verify lacks a signature header (`webhook-id`, `webhook-timestamp`,
    /// `webhook-signature`, or the configured signature header).
    signature_missing,
    /// A signature header or timestamp is not in the expected format.
    signature_malformed,
    /// A signed timestamp lies outside the verifier's tolerance (too old or in the future).
    signature_timestamp_out_of_tolerance,
    /// No signature matches the body with any of the verifier's secrets.
    signature_mismatch,
    /// The destination resolved only to addresses the endpoint may not connect to.
    address_not_allowed,
    /// The OAuth 2.0 token endpoint refused or failed the token request.
    token_request_failed,
    /// `send`, `flush` or a blocking `post` was called on a thread that runs the dispatcher's
    /// executor, where waiting would wait for that very thread.
    would_deadlock,
    /// An event's own header is one the library sets, or one the endpoint already sets.
    reserved_header,
    /// A URL placeholder's value would make a path segment `.` or `..`, which receivers and
    /// proxies resolve to another resource.
    url_placeholder_dot_segment,
    /// A number written by a `webhook::json::adapter` is not a JSON number (RFC 8259).
    invalid_number,
    /// An event's `traceparent` is not a W3C Trace Context `traceparent` (version, 32 hex
    /// digits of trace id, 16 of parent id, 2 of flags; ids not all zero).
    invalid_traceparent,
    /// An event's `tracestate` is not a W3C Trace Context `tracestate` (at most 32
    /// comma-separated `key=value` members), or comes without a `traceparent`.
    invalid_tracestate,
    /// A hub's endpoint is disabled (by its health rule or by the caller) and takes no events.
    endpoint_disabled,
    /// A hub already published an event with this idempotency key within its window.
    duplicate_idempotency_key,
    /// Another C++ type already uses this event type name and version in the hub.
    event_type_conflict,
    /// An idempotency key is longer than 255 bytes or holds a control character.
    invalid_idempotency_key,
};

namespace detail {

class error_category_impl final : public boost::system::error_category {
public:
    // A fixed id keeps comparisons working across shared-library boundaries.
    constexpr error_category_impl() noexcept
        : boost::system::error_category(0x8e3b6a1f52c0d917ULL) {}

    const char* name() const noexcept override { return "webhook"; }

    std::string message(int ev) const override { return message(ev, nullptr, 0); }

    const char* message(int ev, char*, std::size_t) const noexcept override {
        switch (static_cast<error>(ev)) {
        case error::invalid_utf8:
            return "string is not valid UTF-8";
        case error::non_finite_number:
            return "floating-point value is NaN or infinite, which JSON cannot represent";
        case error::unnamed_enum_value:
            return "enumeration value has no described name";
        case error::valueless_variant:
            return "variant is valueless by exception";
        case error::time_out_of_range:
            return "time point is outside the years 0000-9999 of RFC 3339";
        case error::empty_path_segment:
            return "data location has an empty segment";
        case error::control_character_in_path:
            return "data location contains a control character";
        case error::invalid_url:
            return "URL is not a valid absolute URL";
        case error::unsupported_url_scheme:
            return "URL scheme is not http or https";
        case error::url_has_credentials:
            return "URL contains a user name or password; configure authentication instead";
        case error::invalid_header_name:
            return "header name is not an HTTP token";
        case error::invalid_header_value:
            return "header value contains CR, LF, NUL or another control character";
        case error::colon_in_user_id:
            return "Basic authentication user-id contains ':'";
        case error::unsupported_method:
            return "request method is not POST, PUT or PATCH";
        case error::response_body_too_large:
            return "response body is larger than the configured limit";
        case error::proxy_connect_failed:
            return "HTTP proxy refused the CONNECT request";
        case error::queue_full:
            return "dispatcher queue is full";
        case error::dispatcher_stopped:
            return "dispatcher is shutting down and accepts no more events";
        case error::request_body_too_large:
            return "request body is larger than the endpoint's maximum body size";
        case error::url_placeholder_mismatch:
            return "endpoint URL has a placeholder that names no usable member of the event";
        case error::rejected_by_receiver:
            return "receiver refused the event with a status that is not retried";
        case error::endpoint_gone:
            return "receiver answered 410 Gone: the endpoint no longer exists";
        case error::retries_exhausted:
            return "receiver kept answering with a status that is retried until the retry policy "
                   "allowed no more attempts";
        case error::dropped_from_full_queue:
            return "event dropped from a full queue to make room for a newer one";
        case error::abandoned_at_shutdown:
            return "dispatcher shut down before the event was delivered";
        case error::spool_full:
            return "spool has reached its size limit";
        case error::event_expired:
            return "event is older than the endpoint's maximum event age";
        case error::spool_record_corrupt:
            return "spool record is damaged (bad length, checksum or field)";
        case error::invalid_signing_secret:
            return "signing secret or key is malformed";
        case error::signature_missing:
            return "signature header is missing";
        case error::signature_malformed:
            return "signature header or timestamp is malformed";
        case error::signature_timestamp_out_of_tolerance:
            return "signed timestamp is outside the allowed tolerance";
        case error::signature_mismatch:
            return "no signature matches the body";
        case error::address_not_allowed:
            return "destination address is not allowed (private, loopback or other non-public "
                   "address outside the allow-list)";
        case error::token_request_failed:
            return "OAuth 2.0 token request failed";
        case error::would_deadlock:
            return "called on a thread that runs the dispatcher's executor, where waiting would "
                   "deadlock (send, flush and a blocking post must be called from elsewhere)";
        case error::reserved_header:
            return "header is set by the library or by the endpoint's configuration";
        case error::url_placeholder_dot_segment:
            return "URL placeholder value would make a dot segment (. or ..) in the path";
        case error::invalid_number:
            return "text written as a number by a webhook::json::adapter is not a JSON number";
        case error::invalid_traceparent:
            return "traceparent is not a W3C Trace Context traceparent "
                   "(version-traceid-parentid-flags, lowercase hex, ids not all zero)";
        case error::invalid_tracestate:
            return "tracestate is not a W3C Trace Context tracestate (at most 32 key=value "
                   "members), or has no traceparent";
        case error::endpoint_disabled:
            return "endpoint is disabled and takes no events until it is enabled";
        case error::duplicate_idempotency_key:
            return "an event with this idempotency key was already published within the window";
        case error::event_type_conflict:
            return "another type already has this event type name and version";
        case error::invalid_idempotency_key:
            return "idempotency key is longer than 255 bytes or holds a control character";
        }
        return "unknown webhook error";
    }
};

inline constexpr error_category_impl error_category_instance{};

} // namespace detail

/// The category of `webhook::error` codes.
inline const boost::system::error_category& error_category() noexcept {
    return detail::error_category_instance;
}

/// Makes `webhook::error` values convertible to `boost::system::error_code`.
inline boost::system::error_code make_error_code(error e) noexcept {
    return {static_cast<int>(e), error_category()};
}

} // namespace webhook

template <>
struct boost::system::is_error_code_enum<webhook::error> : std::true_type {};

#endif
