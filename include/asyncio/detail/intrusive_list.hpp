#pragma once
// The one intrusive doubly linked list of the library.
//
// An object that can sit in a list derives from `ListHook<Tag>` (one per list it can be
// in, told apart by `Tag`); an `IntrusiveList<T, Tag>` links such objects through their
// hooks, around a sentinel hook of its own. Nothing is allocated: linking and unlinking
// are four pointer stores, and an object unlinks itself in O(1) without knowing its list.
//
// Invariants: a hook is linked (both pointers non-null) exactly while it is in a list;
// the sentinel's `next` is the front and its `prev` the back (itself when empty). A list
// does not own its elements and is neither copyable nor movable (elements point at its
// sentinel). Not thread-safe: a list is touched only on its loop's thread, except where
// its owner says otherwise and guards it.

#include <cstddef>
#include <iterator>

namespace asyncio::detail {

/// Links of an object in one `IntrusiveList<T, Tag>`. Unlinked: both pointers null.
template <class Tag>
struct ListHook {
  ListHook* prev_ = nullptr;
  ListHook* next_ = nullptr;

  bool linked() const { return prev_ != nullptr; }
  /// Takes this object out of whatever list holds it; a no-op when unlinked.
  void unlink() {
    if (!prev_) return;
    prev_->next_ = next_;
    next_->prev_ = prev_;
    prev_ = next_ = nullptr;
  }
};

/// A circular, sentinel-headed list of `T`s (each a `ListHook<Tag>`), in link order.
template <class T, class Tag>
class IntrusiveList {
  using Hook = ListHook<Tag>;

 public:
  IntrusiveList() { head_.prev_ = head_.next_ = &head_; }
  IntrusiveList(const IntrusiveList&) = delete;
  IntrusiveList& operator=(const IntrusiveList&) = delete;
  /// Unlinks whatever is still linked, so no element points at a dead sentinel.
  ~IntrusiveList() { clear(); }

  bool empty() const { return head_.next_ == &head_; }
  T* front() const { return empty() ? nullptr : elem(head_.next_); }
  T* back() const { return empty() ? nullptr : elem(head_.prev_); }

  void push_front(T* t) { link_after(&head_, hook(t)); }
  void push_back(T* t) { link_after(head_.prev_, hook(t)); }
  /// Unlinks and returns the front element (null when empty).
  T* pop_front() {
    if (empty()) return nullptr;
    Hook* h = head_.next_;
    h->unlink();
    return elem(h);
  }
  /// Unlinks `t` (which must be in this list, or unlinked).
  static void remove(T* t) { hook(t)->unlink(); }
  /// Unlinks every element (none is destroyed).
  void clear() {
    while (!empty()) head_.next_->unlink();
  }
  std::size_t size() const {
    std::size_t n = 0;
    for (const Hook* h = head_.next_; h != &head_; h = h->next_) ++n;
    return n;
  }

  /// Forward iteration in link order. The element under the iterator must stay linked
  /// while the iterator is used; to unlink while walking, use `for_each_safe`.
  class iterator {
   public:
    using iterator_category = std::forward_iterator_tag;
    using value_type = T;
    using difference_type = std::ptrdiff_t;
    using pointer = T*;
    using reference = T&;
    iterator() = default;
    T& operator*() const { return *elem(h_); }
    T* operator->() const { return elem(h_); }
    iterator& operator++() {
      h_ = h_->next_;
      return *this;
    }
    iterator operator++(int) {
      iterator old = *this;
      h_ = h_->next_;
      return old;
    }
    bool operator==(const iterator& o) const { return h_ == o.h_; }

   private:
    friend class IntrusiveList;
    explicit iterator(Hook* h) : h_(h) {}
    Hook* h_ = nullptr;
  };
  iterator begin() const { return iterator(head_.next_); }
  iterator end() const { return iterator(const_cast<Hook*>(&head_)); }

  /// Calls `f(T*)` on each element in order; `f` may unlink (or destroy) that element.
  template <class F>
  void for_each_safe(F&& f) const {
    for (Hook* h = head_.next_; h != &head_;) {
      Hook* next = h->next_;
      f(elem(h));
      h = next;
    }
  }

 private:
  static Hook* hook(T* t) { return static_cast<Hook*>(t); }
  static T* elem(Hook* h) { return static_cast<T*>(h); }
  static T* elem(const Hook* h) { return static_cast<T*>(const_cast<Hook*>(h)); }
  static void link_after(Hook* pos, Hook* h) {
    h->prev_ = pos;
    h->next_ = pos->next_;
    pos->next_->prev_ = h;
    pos->next_ = h;
  }

  Hook head_;
};

}  // namespace asyncio::detail
