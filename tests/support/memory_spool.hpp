#ifndef WEBHOOK_TESTS_SUPPORT_MEMORY_SPOOL_HPP
#define WEBHOOK_TESTS_SUPPORT_MEMORY_SPOOL_HPP

// A spool in memory for dispatcher tests: it keeps what it is given across dispatchers (as a
// journal keeps it across runs), can refuse appends on demand, and shows what it holds.

#include <webhook/spool/spool.hpp>

#include <map>
#include <mutex>
#include <set>
#include <vector>

namespace webhook::test {

class memory_spool {
public:
    boost::system::result<std::uint64_t> append(const spool_record& r) {
        std::lock_guard lock(mutex_);
        if (failures_ > 0) {
            --failures_;
            ++next_; // a failed append uses up its sequence, as a journal may
            return failure_;
        }
        spool_record copy = r;
        copy.sequence = next_++;
        records_.emplace(copy.sequence, std::move(copy));
        ++appends_;
        return records_.rbegin()->first;
    }

    boost::system::error_code ack(std::uint64_t seq) {
        std::lock_guard lock(mutex_);
        if (records_.erase(seq) == 0)
            return make_error_code(boost::system::errc::invalid_argument);
        ++acks_;
        return {};
    }

    boost::system::error_code read(std::uint64_t from, std::size_t max,
                                   std::vector<spool_record>& out) {
        std::lock_guard lock(mutex_);
        ++reads_;
        out.clear();
        if (read_failures_ > 0) {
            --read_failures_;
            return make_error_code(boost::system::errc::io_error);
        }
        for (auto it = records_.lower_bound(from); it != records_.end() && out.size() < max; ++it)
            out.push_back(it->second);
        return {};
    }

    /// The next `n` appends fail with `ec`.
    void fail_appends(std::size_t n, boost::system::error_code ec) {
        std::lock_guard lock(mutex_);
        failures_ = n;
        failure_ = ec;
    }
    /// The next `n` reads fail with an I/O error.
    void fail_reads(std::size_t n) {
        std::lock_guard lock(mutex_);
        read_failures_ = n;
    }
    std::size_t reads() const {
        std::lock_guard lock(mutex_);
        return reads_;
    }
    /// Every record not yet acknowledged, in order.
    std::vector<spool_record> held() const {
        std::lock_guard lock(mutex_);
        std::vector<spool_record> out;
        for (const auto& [seq, r] : records_)
            out.push_back(r);
        return out;
    }
    std::size_t appends() const {
        std::lock_guard lock(mutex_);
        return appends_;
    }
    std::size_t acks() const {
        std::lock_guard lock(mutex_);
        return acks_;
    }

private:
    mutable std::mutex mutex_;
    std::map<std::uint64_t, spool_record> records_;
    std::uint64_t next_ = 1;
    std::size_t failures_ = 0;
    boost::system::error_code failure_;
    std::size_t read_failures_ = 0;
    std::size_t reads_ = 0;
    std::size_t appends_ = 0;
    std::size_t acks_ = 0;
};

static_assert(spool<memory_spool>);

/** A `memory_spool` that several dispatchers read at once, as processes share a Redis stream:
    `read` ignores `from` and hands each record to one reader only. */
class shared_memory_spool : public memory_spool {
public:
    static constexpr bool shared = true;

    boost::system::error_code read(std::uint64_t, std::size_t max, std::vector<spool_record>& out) {
        std::vector<spool_record> all;
        if (const auto ec = memory_spool::read(0, std::size_t(-1), all)) {
            out.clear();
            return ec;
        }
        std::lock_guard lock(mutex_);
        out.clear();
        for (auto& r : all)
            if (out.size() < max && handed_.insert(r.sequence).second)
                out.push_back(std::move(r));
        return {};
    }

private:
    std::mutex mutex_;
    std::set<std::uint64_t> handed_;
};

static_assert(spool<shared_memory_spool> && is_shared_spool_v<shared_memory_spool>);
static_assert(!is_shared_spool_v<memory_spool>);

} // namespace webhook::test

#endif
