#ifndef WEBHOOK_OBSERVE_TRACE_CONTEXT_HPP
#define WEBHOOK_OBSERVE_TRACE_CONTEXT_HPP

/** @file
    W3C Trace Context (https://www.w3.org/TR/trace-context/): the `traceparent` and
    `tracestate` of the trace an event belongs to. An event posted with one is sent on every
    attempt as a child span of the caller's: the same trace id and flags, a new span id per
    attempt. Parsing is pure: no I/O, no allocation but the `tracestate` copy. */

#include <webhook/error.hpp>

#include <boost/system/result.hpp>

#include <array>
#include <cstdint>
#include <string>
#include <string_view>

namespace webhook {

/// A span id: 16 lowercase hex digits, not all zero.
using span_id_text = std::array<char, 16>;

/** The trace context of one event: a trace id, the caller's span (the parent of every
    attempt), the trace flags and the vendors' `tracestate`. */
class trace_context {
public:
    /** Parses a `traceparent` (and its `tracestate`, which may be empty).
        Version `00` must be exactly `00-<32 hex>-<16 hex>-<2 hex>`; a later version may add
        fields after a `-`, which are ignored (the context is sent on as version `00`, as the
        specification asks); version `ff`, uppercase hex and all-zero ids are refused.
        @return the context, or `error::invalid_traceparent` / `error::invalid_tracestate`. */
    static boost::system::result<trace_context> parse(std::string_view traceparent,
                                                      std::string_view tracestate = {});

    /// 32 lowercase hex digits.
    std::string_view trace_id() const noexcept { return {trace_id_.data(), trace_id_.size()}; }
    /// The caller's span: 16 lowercase hex digits.
    std::string_view parent_id() const noexcept { return {parent_id_.data(), parent_id_.size()}; }
    /// The trace flags; bit 0 is "sampled".
    std::uint8_t flags() const noexcept { return flags_; }
    bool sampled() const noexcept { return (flags_ & 1) != 0; }
    /// As given (validated); empty when there is none.
    const std::string& tracestate() const noexcept { return tracestate_; }

    /// The `traceparent` of this context, version `00`.
    std::string traceparent() const;

    /** The `traceparent` of a child span `span` of this context (what an attempt sends): the
        same trace id and flags, `span` as the parent id. `span` must not be all zero. */
    std::string child_traceparent(const span_id_text& span) const;

private:
    std::array<char, 32> trace_id_{};
    std::array<char, 16> parent_id_{};
    std::uint8_t flags_ = 0;
    std::string tracestate_;
};

/** Whether `tracestate` is a valid W3C `tracestate`: comma-separated members (empty ones and
    spaces or tabs around them allowed), at most 32, each `key=value`; a key is a simple key
    (a lowercase letter, then up to 255 of lowercase letters, digits, `_`, `-`, `*` and `/`)
    or a multi-tenant one (`tenant@system`); a value has 1 to 256 printable ASCII characters
    but `,` and `=`, and does not end in a space; no key twice. */
bool valid_tracestate(std::string_view tracestate) noexcept;

/// Writes the 16 lowercase hex digits of `bits` (0 is made 1: a span id is never all zero).
span_id_text make_span_id(std::uint64_t bits) noexcept;

} // namespace webhook

#include <webhook/observe/impl/trace_context.hpp>

#endif
