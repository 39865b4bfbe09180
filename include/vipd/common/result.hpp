#pragma once
// One result type for the whole project: a value or an error, never an exception across a
// boundary. C++20 has no std::expected; this is the small subset we need.

#include <cassert>
#include <type_traits>
#include <utility>
#include <variant>

namespace vipd {

template <class E>
struct Unexpected {
  E error;
};

template <class E>
Unexpected<std::decay_t<E>> unexpected(E&& error) {
  return Unexpected<std::decay_t<E>>{std::forward<E>(error)};
}

template <class T, class E>
class Result {
 public:
  using value_type = T;
  using error_type = E;

  Result(const T& value) : storage_(std::in_place_index<0>, value) {}  // NOLINT(google-explicit-constructor)
  Result(T&& value) : storage_(std::in_place_index<0>, std::move(value)) {}  // NOLINT
  template <class U, class = std::enable_if_t<std::is_constructible_v<E, U&&>>>
  Result(Unexpected<U> u) : storage_(std::in_place_index<1>, E(std::move(u.error))) {}  // NOLINT

  [[nodiscard]] bool ok() const noexcept { return storage_.index() == 0; }
  explicit operator bool() const noexcept { return ok(); }

  T& value() & {
    assert(ok());
    return std::get<0>(storage_);
  }
  const T& value() const& {
    assert(ok());
    return std::get<0>(storage_);
  }
  // By value: `for (auto& x : f().value())` must not dangle into a destroyed temporary.
  T value() && {
    assert(ok());
    return std::get<0>(std::move(storage_));
  }
  const E& error() const& {
    assert(!ok());
    return std::get<1>(storage_);
  }
  E error() && {
    assert(!ok());
    return std::get<1>(std::move(storage_));
  }

  T* operator->() { return &value(); }
  const T* operator->() const { return &value(); }
  T& operator*() & { return value(); }
  const T& operator*() const& { return value(); }

 private:
  std::variant<T, E> storage_;
};

// Result<void, E>: success carries nothing.
template <class E>
class Result<void, E> {
 public:
  Result() = default;
  template <class U, class = std::enable_if_t<std::is_constructible_v<E, U&&>>>
  Result(Unexpected<U> u) : storage_(std::in_place_index<1>, E(std::move(u.error))) {}  // NOLINT

  [[nodiscard]] bool ok() const noexcept { return storage_.index() == 0; }
  explicit operator bool() const noexcept { return ok(); }
  const E& error() const& {
    assert(!ok());
    return std::get<1>(storage_);
  }

 private:
  std::variant<std::monostate, E> storage_;
};

}  // namespace vipd
