#ifndef WEBHOOK_SPOOL_IMPL_REDIS_SPOOL_HPP
#define WEBHOOK_SPOOL_IMPL_REDIS_SPOOL_HPP

// `redis_spool`'s members. The protocol (commands, replies, the stream entry of a record) is in
// detail/redis_protocol.hpp, the connection in redis_connection.hpp.

#include <webhook/error.hpp>
#include <webhook/spool/detail/background_schedule.hpp>
#include <webhook/spool/detail/record_fields.hpp>
#include <webhook/spool/detail/redis_protocol.hpp>
#include <webhook/spool/impl/redis_connection.hpp>

#include <hiredis/hiredis.h>

#include <algorithm>
#include <chrono>
#include <iterator>
#include <string_view>
#include <utility>

namespace webhook {

inline const boost::system::error_category& redis_error_category() noexcept {
    static constexpr detail::redis::error_category_impl instance;
    return instance;
}

/// An append waiting for its turn in a pipeline.
struct redis_spool::append_request {
    const spool_record* record;
    std::string created; // Unix ms, decimal
    std::string status;  // last_status, decimal
    boost::system::result<std::uint64_t> result = std::uint64_t{0};
    bool done = false;
};

inline redis_spool::redis_spool(redis_spool_options options) : options_(std::move(options)) {
    address_ = options_.unix_socket.empty() ? options_.host + ":" + std::to_string(options_.port)
                                            : "unix:" + options_.unix_socket;
}

inline boost::system::result<std::shared_ptr<redis_spool>>
redis_spool::open(redis_spool_options options, std::string* why) {
    if (options.consumer.empty())
        options.consumer = detail::process_name();
    options.max_pipeline = std::max<std::size_t>(options.max_pipeline, 1);
    options.reconnect_delay = std::max(options.reconnect_delay, std::chrono::milliseconds(1));
    std::shared_ptr<redis_spool> s(new redis_spool(std::move(options)));
    if (auto ec = s->start(why))
        return ec;
    return s;
}

inline boost::system::error_code redis_spool::start(std::string* why) {
    const auto failed = [&](boost::system::error_code ec) {
        if (why != nullptr)
            *why = last_error();
        return ec;
    };
    if (options_.stream.empty() || options_.group.empty() ||
        options_.claim_idle <= std::chrono::milliseconds::zero()) {
        note(redis_error::invalid_options,
             "options: the stream and the group need names and claim_idle must be positive");
        return failed(redis_error::invalid_options);
    }
    append_conn_ = std::make_unique<connection>(*this, "append");
    read_conn_ = std::make_unique<connection>(*this, "read");
    background_conn_ = std::make_unique<connection>(*this, "background");
    for (connection* c : {read_conn_.get(), append_conn_.get(), background_conn_.get()})
        if (auto ec = c->connect_now())
            return failed(ec);

    // The version: XAUTOCLAIM came with 6.2. An ACL that forbids INFO leaves it unchecked.
    detail::redis::command info;
    info << "INFO"
         << "server";
    auto r = read_conn_->run(info);
    if (!r)
        return failed(r.error());
    if ((*r)->type == REDIS_REPLY_STRING) {
        const std::string_view t = detail::redis::text(r->get());
        const auto at = t.find("redis_version:");
        if (at != std::string_view::npos) {
            std::string_view v = t.substr(at + 14);
            v = v.substr(0, v.find_first_of("\r\n"));
            if (detail::redis::version_number(v) < 6'002'000) {
                note(redis_error::server_too_old, "INFO: redis_version " + std::string(v));
                return failed(redis_error::server_too_old);
            }
        }
    } else if (auto ec = read_conn_->check(r->get(), "INFO");
               ec && ec != make_error_code(redis_error::permission_denied)) {
        return failed(ec);
    }
    if (auto ec = ensure_group(*read_conn_))
        return failed(ec);
    background_ = std::thread([this] { background_loop(); });
    return {};
}

inline redis_spool::~redis_spool() {
    {
        std::lock_guard lk(state_mu_);
        stop_ = true;
    }
    state_cv_.notify_all();
    if (background_.joinable())
        background_.join();
}

/// Runs `c` on the read connection; a group that is gone (Redis restarted without its data,
/// or the stream was deleted) is made again once. An error reply is noted as `what`.
inline boost::system::result<detail::redis::reply_ptr>
redis_spool::run_in_group(detail::redis::command& c, const char* what) {
    auto r = read_conn_->run(c);
    if (r && (*r)->type == REDIS_REPLY_ERROR &&
        detail::redis::text(r->get()).starts_with("NOGROUP")) {
        if (auto ec = ensure_group(*read_conn_))
            return ec;
        r = read_conn_->run(c);
    }
    if (!r)
        return r.error();
    if (auto ec = read_conn_->check(r->get(), what))
        return ec;
    return r;
}

inline boost::system::error_code redis_spool::ensure_group(connection& c) {
    detail::redis::command create;
    create << "XGROUP"
           << "CREATE" << options_.stream << options_.group << "0"
           << "MKSTREAM";
    auto r = c.run(create);
    if (!r)
        return r.error();
    if ((*r)->type == REDIS_REPLY_ERROR && detail::redis::text(r->get()).starts_with("BUSYGROUP"))
        return {}; // another process made it first
    return c.check(r->get(), "XGROUP CREATE");
}

inline void redis_spool::note(const boost::system::error_code& ec, const std::string& what) const {
    std::lock_guard lk(error_mu_);
    // The code's message only when the text does not say it already.
    const std::string m = ec.message();
    last_error_ = "redis " + address_ + ": " + what;
    if (what.find(m) == std::string::npos)
        last_error_ += " (" + m + ")";
}

inline std::string redis_spool::last_error() const {
    std::lock_guard lk(error_mu_);
    return last_error_;
}

inline boost::system::result<std::uint64_t> redis_spool::append(const spool_record& r) {
    append_request req{&r, {}, {}};
    req.created = std::to_string(detail::spool_fields::unix_ms(r.created));
    if (r.last_status != 0)
        req.status = std::to_string(r.last_status);

    appends_batch_.submit(req, [this](std::span<append_request* const> batch) {
        const std::size_t n = batch.size();
        thread_local std::vector<detail::redis::command> commands;
        thread_local std::vector<detail::redis::reply_ptr> replies;
        if (commands.size() < n)
            commands.resize(n);
        for (std::size_t i = 0; i < n; ++i) {
            const append_request& q = *batch[i];
            auto& c = commands[i];
            c.clear();
            c << "XADD" << options_.stream << "*";
            detail::redis::add_record(c, *q.record, q.created, q.status);
        }
        const auto ec = append_conn_->pipeline(commands.data(), n, replies);
        for (std::size_t i = 0; i < n; ++i) {
            const redisReply* reply = replies[i].get();
            if (reply == nullptr)
                batch[i]->result = ec;
            else if (auto rec = append_conn_->check(reply, "XADD"))
                batch[i]->result = rec;
            else if (reply->type != REDIS_REPLY_STRING)
                batch[i]->result = make_error_code(redis_error::unexpected_reply);
            else {
                batch[i]->result = next_sequence_.fetch_add(1);
                appends_.fetch_add(1, std::memory_order_relaxed);
            }
        }
        replies.clear();
    });
    return req.result;
}

inline boost::system::error_code redis_spool::ack(std::uint64_t sequence) {
    {
        std::lock_guard lk(state_mu_);
        const auto it = held_.find(sequence);
        if (it == held_.end())
            return boost::system::errc::make_error_code(boost::system::errc::invalid_argument);
        ack_queue_.push_back(std::move(it->second));
        held_.erase(it);
    }
    state_cv_.notify_all();
    return {};
}

/// Adds the entries of an [[id, [field, value, ...]], ...] reply to `out` (up to `max` in
/// all), each held under a new sequence. Entries already held are skipped; entries gone from
/// the stream and malformed ones are queued for acknowledgement. Under `read_mu_`.
inline void redis_spool::take(const redisReply* entries, std::size_t max,
                              std::vector<spool_record>& out, std::uint64_t& counter,
                              std::string* last_id) {
    if (!detail::redis::is_array(entries))
        return;
    bool settle = false;
    std::lock_guard lk(state_mu_);
    for (std::size_t i = 0; i < entries->elements; ++i) {
        const redisReply* e = entries->element[i];
        if (!detail::redis::is_array(e) || e->elements < 2)
            continue;
        std::string id(detail::redis::text(e->element[0]));
        if (last_id != nullptr)
            *last_id = id;
        if (by_id_.count(id) != 0 || out.size() >= max)
            continue; // already held here (a claim of our own entry only reset its idle time)
        if (e->element[1]->type == REDIS_REPLY_NIL) {
            // Deleted from the stream but still pending (acknowledged by nobody): settle it.
            by_id_.emplace(id, 0);
            ack_queue_.push_back(std::move(id));
            settle = true;
            continue;
        }
        if (scratch_.empty())
            scratch_.emplace_back();
        spool_record& r = scratch_.back();
        if (!detail::redis::parse_record(e->element[1], r)) {
            malformed_.fetch_add(1, std::memory_order_relaxed);
            note(redis_error::unexpected_reply,
                 "stream entry " + id + " is not a spool record; acknowledged and left there");
            by_id_.emplace(id, 0);
            ack_queue_.push_back("!" + id); // "!": acknowledge only, do not delete
            settle = true;
            continue;
        }
        r.sequence = next_sequence_.fetch_add(1);
        held_.emplace(r.sequence, id);
        by_id_.emplace(std::move(id), r.sequence);
        out.push_back(std::move(r));
        scratch_.pop_back();
        ++counter;
        reads_.fetch_add(1, std::memory_order_relaxed);
    }
    if (settle)
        state_cv_.notify_all();
}

inline boost::system::error_code redis_spool::read(std::uint64_t, std::size_t max,
                                                   std::vector<spool_record>& out) {
    std::lock_guard lk(read_mu_);
    // The caller's strings go back to `scratch_` for reuse.
    scratch_.clear();
    for (auto& r : out)
        scratch_.push_back(std::move(r));
    out.clear();
    if (max == 0)
        return {};
    // Records already taken are held here: they are returned even when a later step fails
    // (its error comes back at the next call), since a caller drops `out` on an error.
    const auto done = [&](boost::system::error_code ec) {
        return ec && out.empty() ? ec : boost::system::error_code{};
    };
    if (!replay_done_)
        if (auto ec = read_replay(max, out); ec || out.size() >= max)
            return done(ec);
    if (std::chrono::steady_clock::now() >= next_claim_)
        if (auto ec = read_claim(max, out); ec || out.size() >= max)
            return done(ec);
    return done(read_new(max, out));
}

inline boost::system::error_code redis_spool::read_replay(std::size_t max,
                                                          std::vector<spool_record>& out) {
    const std::string count = std::to_string(max - out.size());
    detail::redis::command c;
    c << "XREADGROUP"
      << "GROUP" << options_.group << options_.consumer << "COUNT" << count << "STREAMS"
      << options_.stream << replay_cursor_;
    auto r = run_in_group(c, "XREADGROUP (replay)");
    if (!r)
        return r.error();
    const redisReply* reply = r->get();
    // [[stream, [[id, fields], ...]]]; nil: nothing pending.
    const redisReply* entries = nullptr;
    if (detail::redis::is_array(reply) && reply->elements > 0 &&
        detail::redis::is_array(reply->element[0]) && reply->element[0]->elements == 2)
        entries = reply->element[0]->element[1];
    const std::size_t before = out.size();
    std::uint64_t counter = 0;
    take(entries, max, out, counter, &replay_cursor_);
    replayed_.fetch_add(counter, std::memory_order_relaxed);
    const std::size_t seen = detail::redis::is_array(entries) ? entries->elements : 0;
    if (seen < max - before)
        replay_done_ = true;
    return {};
}

inline boost::system::error_code redis_spool::read_claim(std::size_t max,
                                                         std::vector<spool_record>& out) {
    const std::string idle = std::to_string(options_.claim_idle.count());
    const std::string count = std::to_string(max - out.size());
    detail::redis::command c;
    c << "XAUTOCLAIM" << options_.stream << options_.group << options_.consumer << idle
      << claim_cursor_ << "COUNT" << count;
    auto r = run_in_group(c, "XAUTOCLAIM");
    if (!r)
        return r.error();
    const redisReply* reply = r->get();
    // [next cursor, [[id, fields], ...], (7.0:) [deleted ids]]
    if (!detail::redis::is_array(reply) || reply->elements < 2)
        return redis_error::unexpected_reply;
    std::uint64_t counter = 0;
    take(reply->element[1], max, out, counter, nullptr);
    claimed_.fetch_add(counter, std::memory_order_relaxed);
    claim_cursor_ = std::string(detail::redis::text(reply->element[0]));
    if (claim_cursor_.empty() || claim_cursor_ == "0-0") {
        // A whole pass over the pending entries: the next one after a third of the idle
        // time, so that an entry is claimed at most that long after it became claimable.
        claim_cursor_ = "0-0";
        next_claim_ = std::chrono::steady_clock::now() + options_.claim_idle / 3;
    }
    return {};
}

inline boost::system::error_code redis_spool::read_new(std::size_t max,
                                                       std::vector<spool_record>& out) {
    const std::string count = std::to_string(max - out.size());
    detail::redis::command c;
    c << "XREADGROUP"
      << "GROUP" << options_.group << options_.consumer << "COUNT" << count << "STREAMS"
      << options_.stream << ">";
    auto r = run_in_group(c, "XREADGROUP");
    if (!r)
        return r.error();
    const redisReply* reply = r->get();
    if (reply->type == REDIS_REPLY_NIL)
        return {};
    if (!detail::redis::is_array(reply) || reply->elements == 0 ||
        !detail::redis::is_array(reply->element[0]) || reply->element[0]->elements != 2)
        return redis_error::unexpected_reply;
    std::uint64_t counter = 0;
    take(reply->element[0]->element[1], max, out, counter, nullptr);
    return {};
}

inline void redis_spool::background_loop() {
    using clock = std::chrono::steady_clock;
    detail::background_schedule<clock> plan(
        options_.claim_idle / 3, std::max(options_.reconnect_delay, std::chrono::milliseconds(10)),
        clock::now());
    std::unique_lock lk(state_mu_);
    while (!stop_) {
        const auto step = plan.next(clock::now(), !ack_queue_.empty());
        if (step.what == decltype(plan)::task::send_acks) {
            plan.acks_sent(send_acks(lk), clock::now());
        } else if (step.what == decltype(plan)::task::keep_held) {
            heartbeat(lk);
            plan.kept(clock::now());
        } else {
            state_cv_.wait_until(lk, step.until);
        }
    }
    // What was settled goes to Redis now if it can (one try, bounded by the timeouts); the
    // rest stays pending under this consumer and is delivered again.
    if (!ack_queue_.empty())
        send_acks(lk);
}

/// Sends queued acknowledgements (one batch); false on failure, and they stay queued.
inline bool redis_spool::send_acks(std::unique_lock<std::mutex>& lk) {
    constexpr std::size_t batch_max = 1024;
    const std::size_t n = std::min(ack_queue_.size(), batch_max);
    std::vector<std::string> batch(
        std::make_move_iterator(ack_queue_.begin()),
        std::make_move_iterator(ack_queue_.begin() + static_cast<std::ptrdiff_t>(n)));
    ack_queue_.erase(ack_queue_.begin(), ack_queue_.begin() + static_cast<std::ptrdiff_t>(n));
    lk.unlock();

    // MULTI/EXEC: an entry is deleted only together with its acknowledgement.
    std::vector<detail::redis::command> commands(2);
    commands[0] << "MULTI";
    commands[1] << "XACK" << options_.stream << options_.group;
    detail::redis::command del;
    del << "XDEL" << options_.stream;
    bool any_delete = false;
    for (const auto& id : batch) {
        const bool keep = id[0] == '!';
        const std::string_view v = keep ? std::string_view(id).substr(1) : std::string_view(id);
        commands[1] << v;
        if (!keep) {
            del << v;
            any_delete = true;
        }
    }
    if (any_delete)
        commands.push_back(std::move(del));
    commands.emplace_back() << "EXEC";
    std::vector<detail::redis::reply_ptr> replies;
    auto ec = background_conn_->pipeline(commands.data(), commands.size(), replies);
    if (!ec) {
        // A command refused when queued (NOPERM, say) aborts the transaction: its own error
        // says more than EXECABORT.
        for (std::size_t i = 1; i + 1 < replies.size() && !ec; ++i)
            ec = background_conn_->check(replies[i].get(), i == 1 ? "XACK" : "XDEL");
    }
    if (!ec) {
        const redisReply* exec = replies.back().get();
        if (auto e = background_conn_->check(exec, "EXEC (XACK, XDEL)"))
            ec = e;
        else if (!detail::redis::is_array(exec))
            ec = redis_error::unexpected_reply; // the transaction was aborted
        else
            for (std::size_t i = 0; i < exec->elements && !ec; ++i)
                ec = background_conn_->check(exec->element[i], "XACK/XDEL");
    }

    lk.lock();
    if (ec) {
        ack_queue_.insert(ack_queue_.begin(), std::make_move_iterator(batch.begin()),
                          std::make_move_iterator(batch.end()));
        return false;
    }
    for (const auto& id : batch) {
        by_id_.erase(id[0] == '!' ? id.substr(1) : id);
        if (id[0] != '!')
            acks_.fetch_add(1, std::memory_order_relaxed);
    }
    return true;
}

/// Resets the idle time of every held entry, so that no other consumer claims it.
inline void redis_spool::heartbeat(std::unique_lock<std::mutex>& lk) {
    std::vector<std::string> ids;
    ids.reserve(by_id_.size());
    for (const auto& [id, seq] : by_id_)
        ids.push_back(id);
    lk.unlock();
    constexpr std::size_t chunk = 1024;
    std::vector<detail::redis::command> commands((ids.size() + chunk - 1) / chunk);
    for (std::size_t i = 0; i < ids.size(); ++i) {
        auto& c = commands[i / chunk];
        if (i % chunk == 0)
            c << "XCLAIM" << options_.stream << options_.group << options_.consumer << "0";
        c << ids[i];
        if (i % chunk == chunk - 1 || i + 1 == ids.size())
            c << "JUSTID";
    }
    if (!commands.empty()) {
        std::vector<detail::redis::reply_ptr> replies;
        // A failure (Redis down) is noted; the next beat tries again.
        if (!background_conn_->pipeline(commands.data(), commands.size(), replies)) {
            for (const auto& r : replies)
                background_conn_->check(r.get(), "XCLAIM (heartbeat)");
            heartbeats_.fetch_add(1, std::memory_order_relaxed);
        }
    } else if (!background_conn_->connected()) {
        // Nothing held: reconnect anyway, so that the connection is ready when needed.
        detail::redis::command ping;
        ping << "PING";
        (void)background_conn_->run(ping);
    }
    lk.lock();
}

inline redis_spool_stats redis_spool::stats() const {
    redis_spool_stats s;
    s.appends = appends_.load();
    s.reads = reads_.load();
    s.replayed = replayed_.load();
    s.claimed = claimed_.load();
    s.acks = acks_.load();
    s.malformed = malformed_.load();
    s.heartbeats = heartbeats_.load();
    s.connects = connects_.load();
    std::lock_guard lk(state_mu_);
    s.held = by_id_.size();
    s.acks_queued = ack_queue_.size();
    return s;
}

} // namespace webhook

#endif
