#ifndef WEBHOOK_TRANSPORT_DETAIL_IMPL_EXCHANGE_HPP
#define WEBHOOK_TRANSPORT_DETAIL_IMPL_EXCHANGE_HPP

// Part of basic_pool (detail/beast_pool.hpp): one exchange on a connection: the request
// written in one gather write of the head and the body, the response read within its limits
// (interim 1xx answers skipped), and what a failure means (sent again on a stale connection).
// Decisions: sansio/exchange.hpp.

#include <webhook/transport/detail/sansio/connection.hpp>
#include <webhook/transport/detail/sansio/exchange.hpp>

#include <boost/asio/buffer.hpp>
#include <boost/asio/write.hpp>
#include <boost/beast/core/read_size.hpp>
#include <boost/beast/http/error.hpp>
#include <boost/beast/http/write.hpp>

#include <memory>
#include <string>

namespace webhook::detail {

template <class Executor>
void basic_pool<Executor>::send(op_ptr op) {
    op->enter(timed_phase::exchange); // ends the connection's set-up, if new
    auto& c = conn_of(*op);
    connection::arm(conn_ptr(*op), op->deadline);
    new_parser(c);
    const http_request& request = *op->request;
    const auto& where = entry_of(*op).where;
    const bool absolute = sansio::uses_absolute_form(proxy_.has_value(), where.tls);
    if (request.chunked()) // rare: Beast's serializer encodes the chunks
        return send_chunked(std::move(op), absolute);

    sansio::serialize_head(c.head, request, absolute ? &where : nullptr);
    if (c.tls) { // one TLS record for head and body
        c.head.append(request.body());
        return boost::asio::async_write(
            *c.tls, boost::asio::buffer(c.head),
            [this, op = std::move(op)](boost::system::error_code ec, std::size_t n) mutable {
                on_written(std::move(op), ec, n);
            });
    }
    // Plain TCP: the socket is non-blocking, so try the write at once (one sendmsg, which
    // nearly always takes all of it), and wait for the socket only for what is left.
    sansio::head_and_body buffers{boost::asio::buffer(c.head), boost::asio::buffer(request.body())};
    const std::size_t total = c.head.size() + request.body().size();
    boost::system::error_code ec;
    const std::size_t n = c.plain->write_some(buffers, ec);
    op->count_sent(n);
    switch (sansio::after_first_write(ec, n, total)) {
    case sansio::write_step::read:
        return read(std::move(op));
    case sansio::write_step::fail:
        return on_written(std::move(op), ec, 0);
    case sansio::write_step::wait_for_rest:
        break;
    }
    if (!ec)
        sansio::skip_written(buffers, n);
    boost::asio::async_write(
        *c.plain, buffers,
        [this, op = std::move(op)](boost::system::error_code ec, std::size_t n) mutable {
            on_written(std::move(op), ec, n);
        });
}

/// A chunked request, through Beast's serializer; in absolute form from a copy.
template <class Executor>
void basic_pool<Executor>::send_chunked(op_ptr op, bool absolute) {
    auto& c = conn_of(*op);
    const http_request& request = *op->request;
    const http_request* message = &request;
    if (absolute) {
        c.absolute_copy = std::make_unique<http_request>(request);
        c.absolute_copy->target("http://" + sansio::authority(entry_of(*op).where) +
                                std::string(request.target()));
        message = c.absolute_copy.get();
    }
    c.visit([&](auto& stream) {
        boost::beast::http::async_write(
            stream, *message,
            [this, op = std::move(op)](boost::system::error_code ec, std::size_t n) mutable {
                on_written(std::move(op), ec, n);
            });
    });
}

template <class Executor>
void basic_pool<Executor>::on_written(op_ptr op, boost::system::error_code ec, std::size_t n) {
    op->count_sent(n);
    if (ec)
        return request_failed(std::move(op), ec);
    conn_of(*op).absolute_copy.reset();
    read(std::move(op));
}

template <class Executor>
void basic_pool<Executor>::read(op_ptr op) {
    auto& c = conn_of(*op);
    if (c.buffer.size() != 0) // bytes the server sent after its previous response
        return parse(std::move(op));
    read_some(std::move(op));
}

template <class Executor>
void basic_pool<Executor>::read_some(op_ptr op) {
    auto& c = conn_of(*op);
    const std::size_t size = boost::beast::read_size(c.buffer, 65536);
    if (size == 0)
        return request_failed(std::move(op), boost::beast::http::error::buffer_overflow);
    const auto space = c.buffer.prepare(size);
    c.visit([&](auto& stream) {
        stream.async_read_some(
            space, [this, op = std::move(op)](boost::system::error_code ec, std::size_t n) mutable {
                on_read(std::move(op), ec, n);
            });
    });
}

template <class Executor>
void basic_pool<Executor>::on_read(op_ptr op, boost::system::error_code ec, std::size_t n) {
    auto& c = conn_of(*op);
    c.buffer.commit(n);
    if (ec == boost::asio::error::eof) {
        if (sansio::on_end_of_stream(c.parser->got_some()) == sansio::eof_meaning::no_response)
            return request_failed(std::move(op), boost::beast::http::error::end_of_stream);
        ec = {};
        c.parser->put_eof(ec); // a body delimited by the end of the connection
        if (ec)
            return request_failed(std::move(op), ec);
        return succeed(std::move(op));
    }
    if (ec)
        return request_failed(std::move(op), ec);
    parse(std::move(op));
}

template <class Executor>
void basic_pool<Executor>::parse(op_ptr op) {
    auto& c = conn_of(*op);
    while (c.buffer.size() != 0) {
        boost::system::error_code ec;
        const std::size_t used = c.parser->put(c.buffer.data(), ec);
        c.buffer.consume(used);
        if (op->awaits_response_head() && c.parser->is_header_done() &&
            sansio::classify_response(c.parser->get().result_int()) !=
                sansio::response_kind::interim)
            op->response_head_parsed();
        if (ec == boost::beast::http::error::need_more)
            break;
        if (ec)
            return request_failed(std::move(op), ec);
        if (c.parser->is_done()) {
            switch (sansio::classify_response(c.parser->get().result_int())) {
            case sansio::response_kind::forbidden:
                return request_failed(std::move(op), boost::beast::http::error::bad_status);
            case sansio::response_kind::final:
                return succeed(std::move(op));
            case sansio::response_kind::interim: // the final response follows
                new_parser(c);
                continue;
            }
        }
        if (used == 0)
            break;
    }
    read_some(std::move(op));
}

template <class Executor>
void basic_pool<Executor>::new_parser(connection& c) {
    c.parser.emplace();
    c.parser->body_limit(options_.max_response_body);
    c.parser->eager(true);
}

template <class Executor>
void basic_pool<Executor>::succeed(op_ptr op) {
    auto& c = conn_of(*op);
    http_response response = c.parser->release();
    c.parser.reset();
    const bool keep = response.keep_alive();
    release(entry_of(*op), take_conn(*op), keep);
    finish(std::move(op), {}, std::move(response));
}

/// The request failed on its connection: sent again on another if the connection went stale
/// (see sansio::after_failure), else reported.
template <class Executor>
void basic_pool<Executor>::request_failed(op_ptr op, boost::system::error_code ec) {
    auto& c = conn_of(*op);
    const sansio::failed_exchange facts{
        .timed_out = c.timed_out,
        .cancelled = op->cancelled,
        .reused = op->reused,
        .response_begun = (c.parser && c.parser->got_some()) || c.buffer.size() != 0,
        .time_left = clock::now() < op->deadline,
    };
    switch (sansio::after_failure(facts)) {
    case sansio::failure_action::report_timeout:
        return fail(std::move(op), boost::beast::error::timeout); // fail() tells which
    case sansio::failure_action::send_again:
        release(entry_of(*op), take_conn(*op), false);
        return lease(std::move(op));
    case sansio::failure_action::report:
        break;
    }
    fail(std::move(op), sansio::reported_error(ec));
}

} // namespace webhook::detail

#endif
