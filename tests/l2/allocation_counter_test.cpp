// The counting operator new of support/allocation_counter.cpp, linked into this binary.
#include <gtest/gtest.h>

#include "support/allocation_counter.hpp"

namespace vipd::test {

TEST(AllocationCounter, CountsOperatorNew) {
  const std::uint64_t before = allocation_count();
  int* volatile p = new int(1);  // volatile: the compiler may not elide the pair
  EXPECT_EQ(allocation_count(), before + 1);
  delete p;
}

}  // namespace vipd::test
