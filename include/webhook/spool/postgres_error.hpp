#ifndef WEBHOOK_SPOOL_POSTGRES_ERROR_HPP
#define WEBHOOK_SPOOL_POSTGRES_ERROR_HPP

// The errors of the PostgreSQL outbox (postgres_spool.hpp), apart so that they need no libpq.

#include <boost/system/error_category.hpp>
#include <boost/system/error_code.hpp>

#include <string>
#include <type_traits>

namespace webhook {

/** Errors of a `postgres_spool`, besides `error::spool_full` (the server's disk is full). The
    spool's `last_error()` tells the details: the server's own message and what was run. */
enum class postgres_error {
    /// Could not connect (refused, unknown host, bad password, no such database).
    connection_failed = 1,
    /// The connection broke during a command: the server stopped, restarted or dropped it.
    connection_lost,
    /// The server refused a command (the message says why).
    command_failed,
    /// `append` through `in_transaction` on a connection without an open transaction
    /// (`BEGIN` first), or with a command still running on it.
    no_transaction,
    /// `append` through `in_transaction` in a transaction that has already failed: the
    /// caller must roll it back.
    transaction_failed,
    /// The tables were made by a later release of this library (their schema version is
    /// newer than this one knows).
    schema_too_new,
    /// `postgres_spool_options` are not usable (a table or destination name that is not a
    /// plain identifier, or a zero `lease`).
    invalid_options,
    /// A result of an unexpected shape: the tables are not the ones this library made.
    unexpected_result,
};

namespace detail::postgres {

class error_category_impl final : public boost::system::error_category {
public:
    constexpr error_category_impl() noexcept
        : boost::system::error_category(0x7a41c0de9b3e5f21ULL) {}

    const char* name() const noexcept override { return "webhook.postgres"; }

    std::string message(int ev) const override {
        switch (ev) {
        case 1:
            return "cannot connect to the PostgreSQL server";
        case 2:
            return "the connection to the PostgreSQL server was lost";
        case 3:
            return "the PostgreSQL server refused a command";
        case 4:
            return "the connection has no open transaction for the outbox (BEGIN first)";
        case 5:
            return "the caller's transaction has failed already (roll it back)";
        case 6:
            return "the outbox tables were made by a newer release of this library";
        case 7:
            return "postgres_spool_options are not usable";
        case 8:
            return "unexpected result from PostgreSQL (not this library's tables?)";
        default:
            return "unknown webhook.postgres error";
        }
    }
};

} // namespace detail::postgres

/// The category of `postgres_error` codes ("webhook.postgres").
inline const boost::system::error_category& postgres_error_category() noexcept {
    static constexpr detail::postgres::error_category_impl instance;
    return instance;
}

inline boost::system::error_code make_error_code(postgres_error e) noexcept {
    return {static_cast<int>(e), postgres_error_category()};
}

} // namespace webhook

template <>
struct boost::system::is_error_code_enum<webhook::postgres_error> : std::true_type {};

#endif
