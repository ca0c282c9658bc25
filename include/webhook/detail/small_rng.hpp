#ifndef WEBHOOK_DETAIL_SMALL_RNG_HPP
#define WEBHOOK_DETAIL_SMALL_RNG_HPP

// A 64-bit pseudo-random generator in 32 bytes, xoshiro256** (Blackman and Vigna, 2018), for
// event ids, span ids and retry jitter: statistically as good for these as std::mt19937_64,
// which takes 2.5 KB per instance (a hub with 10,000 endpoints held 50 MB of them). Not for
// secrets.

#include <cstdint>
#include <limits>
#include <random>

namespace webhook::detail {

class small_rng {
public:
    using result_type = std::uint64_t;

    /// Seeded from `std::random_device`, through splitmix64 as the authors advise.
    small_rng() {
        std::random_device device;
        std::uint64_t seed = (std::uint64_t{device()} << 32) ^ device();
        for (std::uint64_t& word : state_)
            word = splitmix(seed);
    }

    static constexpr result_type min() noexcept { return 0; }
    static constexpr result_type max() noexcept { return std::numeric_limits<result_type>::max(); }

    result_type operator()() noexcept {
        const std::uint64_t out = rotate(state_[1] * 5, 7) * 9;
        const std::uint64_t t = state_[1] << 17;
        state_[2] ^= state_[0];
        state_[3] ^= state_[1];
        state_[1] ^= state_[2];
        state_[0] ^= state_[3];
        state_[2] ^= t;
        state_[3] = rotate(state_[3], 45);
        return out;
    }

private:
    static constexpr std::uint64_t rotate(std::uint64_t x, int k) noexcept {
        return (x << k) | (x >> (64 - k));
    }
    static std::uint64_t splitmix(std::uint64_t& x) noexcept {
        std::uint64_t z = (x += 0x9e3779b97f4a7c15);
        z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9;
        z = (z ^ (z >> 27)) * 0x94d049bb133111eb;
        return z ^ (z >> 31);
    }

    std::uint64_t state_[4];
};

} // namespace webhook::detail

#endif
