#pragma once
// Python's `pprint.pformat` (width 80) for nested lists of strings and integers, enough to
// print the seed programs' results exactly as Python does. (Example support code.)

#include <string>
#include <type_traits>
#include <vector>

namespace pyprint {

inline std::string repr(const std::string& s) {
  // Python picks single quotes unless the text has ' and no ".
  bool sq = s.find('\'') != std::string::npos, dq = s.find('"') != std::string::npos;
  char q = sq && !dq ? '"' : '\'';
  std::string out(1, q);
  for (char c : s) {
    if (c == q || c == '\\') out += '\\';
    if (c == '\n') {
      out += "\\n";
      continue;
    }
    out += c;
  }
  return out + q;
}
inline std::string repr(int v) { return std::to_string(v); }
template <class T>
std::string repr(const std::vector<T>& v) {
  std::string out = "[";
  for (std::size_t i = 0; i < v.size(); ++i) out += (i ? ", " : "") + repr(v[i]);
  return out + "]";
}

namespace detail {
template <class T>
void format(const T& obj, std::string& out, int indent, int allowance);

template <class T>
void format_list(const std::vector<T>& v, std::string& out, int indent, int allowance) {
  // pprint.PrettyPrinter._pprint_list / _format_items (non-compact).
  out += '[';
  indent += 1;
  allowance += 1;
  std::string delimnl = ",\n" + std::string(static_cast<std::size_t>(indent), ' ');
  for (std::size_t i = 0; i < v.size(); ++i) {
    if (i) out += delimnl;
    bool last = i + 1 == v.size();
    format(v[i], out, indent, last ? allowance : 1);
  }
  out += ']';
}

template <class T>
void format(const T& obj, std::string& out, int indent, int allowance) {
  std::string rep = repr(obj);
  const int max_width = 80 - indent - allowance;
  if constexpr (!std::is_same_v<T, std::string> && !std::is_same_v<T, int>) {
    if (static_cast<int>(rep.size()) > max_width && !obj.empty()) {
      format_list(obj, out, indent, allowance);
      return;
    }
  }
  out += rep;
}
}  // namespace detail

/// `pprint.pformat(obj)` with the default width of 80.
template <class T>
std::string pformat(const T& obj) {
  std::string out;
  detail::format(obj, out, 0, 0);
  return out;
}

}  // namespace pyprint
