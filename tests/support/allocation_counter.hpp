#pragma once
// Number of global operator new calls so far in this test binary: test binaries that link
// support/allocation_counter.cpp get counting operator new/delete, so a test can prove a hot path
// allocates nothing (the responder's and the L2 plane's reply paths).
#include <cstdint>

namespace vipd::test {
std::uint64_t allocation_count() noexcept;
}  // namespace vipd::test
