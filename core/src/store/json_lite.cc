#include "neuropart/store/json_lite.h"

#include <limits>
#include <unordered_set>

namespace neuropart {
namespace {

// Length of the valid UTF-8 sequence starting at s[i], or 0 if it is invalid (overlong forms,
// surrogates and code points above U+10FFFF included).
size_t Utf8SequenceLength(std::string_view s, size_t i) {
  const auto byte = [&](size_t k) { return static_cast<unsigned char>(s[k]); };
  const unsigned char c = byte(i);
  if (c < 0x80) return 1;
  size_t len;
  uint32_t cp;
  if ((c & 0xE0) == 0xC0) {
    len = 2, cp = c & 0x1F;
  } else if ((c & 0xF0) == 0xE0) {
    len = 3, cp = c & 0x0F;
  } else if ((c & 0xF8) == 0xF0) {
    len = 4, cp = c & 0x07;
  } else {
    return 0;
  }
  if (i + len > s.size()) return 0;
  for (size_t k = 1; k < len; ++k) {
    if ((byte(i + k) & 0xC0) != 0x80) return 0;
    cp = (cp << 6) | (byte(i + k) & 0x3F);
  }
  static constexpr uint32_t kMinForLength[] = {0, 0, 0x80, 0x800, 0x10000};
  if (cp < kMinForLength[len] || cp > 0x10FFFF || (cp >= 0xD800 && cp <= 0xDFFF)) return 0;
  return len;
}

void AppendUtf8(std::string* out, uint32_t cp) {
  if (cp < 0x80) {
    out->push_back(static_cast<char>(cp));
  } else if (cp < 0x800) {
    out->push_back(static_cast<char>(0xC0 | (cp >> 6)));
    out->push_back(static_cast<char>(0x80 | (cp & 0x3F)));
  } else if (cp < 0x10000) {
    out->push_back(static_cast<char>(0xE0 | (cp >> 12)));
    out->push_back(static_cast<char>(0x80 | ((cp >> 6) & 0x3F)));
    out->push_back(static_cast<char>(0x80 | (cp & 0x3F)));
  } else {
    out->push_back(static_cast<char>(0xF0 | (cp >> 18)));
    out->push_back(static_cast<char>(0x80 | ((cp >> 12) & 0x3F)));
    out->push_back(static_cast<char>(0x80 | ((cp >> 6) & 0x3F)));
    out->push_back(static_cast<char>(0x80 | (cp & 0x3F)));
  }
}

int HexDigit(char c) {
  if (c >= '0' && c <= '9') return c - '0';
  if (c >= 'a' && c <= 'f') return c - 'a' + 10;
  if (c >= 'A' && c <= 'F') return c - 'A' + 10;
  return -1;
}

class Parser {
 public:
  Parser(std::string_view text, int max_depth) : text_(text), max_depth_(max_depth) {}

  StatusOr<JsonValue> ParseDocument() {
    JsonValue v;
    RETURN_IF_ERROR(ParseValue(0, &v));
    SkipWhitespace();
    if (pos_ != text_.size()) return Error("unexpected trailing characters");
    return v;
  }

 private:
  Status Error(std::string_view what) const { return ErrorAt(pos_, what); }
  Status ErrorAt(size_t at, std::string_view what) const {
    return CorruptionError("JSON byte " + std::to_string(at) + ": " + std::string(what));
  }

  bool AtEnd() const { return pos_ >= text_.size(); }
  char Peek() const { return text_[pos_]; }

  void SkipWhitespace() {
    while (!AtEnd() && (Peek() == ' ' || Peek() == '\t' || Peek() == '\n' || Peek() == '\r')) {
      ++pos_;
    }
  }

  Status Expect(char c) {
    SkipWhitespace();
    if (AtEnd()) return Error(std::string("unexpected end, expected '") + c + "'");
    if (Peek() != c) return Error(std::string("expected '") + c + "'");
    ++pos_;
    return Status::Ok();
  }

  Status ParseValue(int depth, JsonValue* out) {
    SkipWhitespace();
    if (AtEnd()) return Error("unexpected end, expected a value");
    out->offset = pos_;
    const char c = Peek();
    if (c == '{' || c == '[') {
      if (depth >= max_depth_) return Error("nesting deeper than " + std::to_string(max_depth_));
      return c == '{' ? ParseObject(depth + 1, out) : ParseArray(depth + 1, out);
    }
    if (c == '"') {
      out->type = JsonValue::Type::kString;
      return ParseString(&out->string);
    }
    if (c == '-' || (c >= '0' && c <= '9')) {
      out->type = JsonValue::Type::kInteger;
      return ParseInteger(&out->integer);
    }
    return Error("unexpected character, expected an object, array, string or integer");
  }

  Status ParseObject(int depth, JsonValue* out) {
    out->type = JsonValue::Type::kObject;
    ++pos_;  // '{'
    SkipWhitespace();
    if (!AtEnd() && Peek() == '}') {
      ++pos_;
      return Status::Ok();
    }
    // A set, not Find(): a hostile header may hold millions of keys.
    std::unordered_set<std::string> seen;
    while (true) {
      SkipWhitespace();
      if (AtEnd() || Peek() != '"') return Error("expected a string key");
      const size_t key_offset = pos_;
      JsonMember member;
      RETURN_IF_ERROR(ParseString(&member.key));
      if (!seen.insert(member.key).second) {
        return ErrorAt(key_offset, "duplicate key \"" + member.key + "\"");
      }
      RETURN_IF_ERROR(Expect(':'));
      RETURN_IF_ERROR(ParseValue(depth, &member.value));
      out->members.push_back(std::move(member));
      SkipWhitespace();
      if (AtEnd()) return Error("unexpected end inside an object");
      if (Peek() == '}') break;
      if (Peek() != ',') return Error("expected ',' or '}' in an object");
      ++pos_;
    }
    ++pos_;  // '}'
    return Status::Ok();
  }

  Status ParseArray(int depth, JsonValue* out) {
    out->type = JsonValue::Type::kArray;
    ++pos_;  // '['
    SkipWhitespace();
    if (!AtEnd() && Peek() == ']') {
      ++pos_;
      return Status::Ok();
    }
    while (true) {
      JsonValue element;
      RETURN_IF_ERROR(ParseValue(depth, &element));
      out->array.push_back(std::move(element));
      SkipWhitespace();
      if (AtEnd()) return Error("unexpected end inside an array");
      if (Peek() == ']') break;
      if (Peek() != ',') return Error("expected ',' or ']' in an array");
      ++pos_;
    }
    ++pos_;  // ']'
    return Status::Ok();
  }

  Status ParseHex4(uint32_t* out) {
    if (text_.size() - pos_ < 4) return Error("truncated \\u escape");
    uint32_t v = 0;
    for (int k = 0; k < 4; ++k) {
      const int d = HexDigit(text_[pos_ + k]);
      if (d < 0) return Error("invalid hex digit in \\u escape");
      v = (v << 4) | static_cast<uint32_t>(d);
    }
    pos_ += 4;
    *out = v;
    return Status::Ok();
  }

  // After "\u" has been consumed: one code point, joining a surrogate pair.
  Status ParseUnicodeEscape(std::string* out) {
    const size_t start = pos_ - 2;
    uint32_t cp = 0;
    RETURN_IF_ERROR(ParseHex4(&cp));
    if (cp >= 0xDC00 && cp <= 0xDFFF) return ErrorAt(start, "unpaired low surrogate");
    if (cp >= 0xD800 && cp <= 0xDBFF) {
      if (text_.substr(pos_, 2) != "\\u") return ErrorAt(start, "unpaired high surrogate");
      pos_ += 2;
      uint32_t low = 0;
      RETURN_IF_ERROR(ParseHex4(&low));
      if (low < 0xDC00 || low > 0xDFFF) return ErrorAt(start, "unpaired high surrogate");
      cp = 0x10000 + ((cp - 0xD800) << 10) + (low - 0xDC00);
    }
    AppendUtf8(out, cp);
    return Status::Ok();
  }

  Status ParseEscape(std::string* out) {
    if (AtEnd()) return Error("unterminated string");
    const char c = text_[pos_++];
    if (c == 'u') return ParseUnicodeEscape(out);
    static constexpr std::string_view kEscaped = "\"\\/bfnrt";
    static constexpr std::string_view kMeaning = "\"\\/\b\f\n\r\t";
    const size_t k = kEscaped.find(c);
    if (k == std::string_view::npos) return ErrorAt(pos_ - 1, "invalid escape character");
    out->push_back(kMeaning[k]);
    return Status::Ok();
  }

  Status ParseString(std::string* out) {
    ++pos_;  // opening quote
    while (true) {
      if (AtEnd()) return Error("unterminated string");
      const unsigned char c = static_cast<unsigned char>(Peek());
      if (c == '"') {
        ++pos_;
        return Status::Ok();
      }
      if (c < 0x20) return Error("unescaped control character in a string");
      if (c == '\\') {
        ++pos_;
        RETURN_IF_ERROR(ParseEscape(out));
        continue;
      }
      const size_t len = Utf8SequenceLength(text_, pos_);
      if (len == 0) return Error("invalid UTF-8 in a string");
      out->append(text_.substr(pos_, len));
      pos_ += len;
    }
  }

  Status ParseInteger(int64_t* out) {
    const size_t start = pos_;
    const bool negative = Peek() == '-';
    if (negative) ++pos_;
    if (AtEnd() || Peek() < '0' || Peek() > '9') return Error("expected a digit");
    if (Peek() == '0' && pos_ + 1 < text_.size() && text_[pos_ + 1] >= '0' &&
        text_[pos_ + 1] <= '9') {
      return Error("leading zero in a number");
    }
    // Accumulate the magnitude as unsigned so that INT64_MIN is representable.
    const uint64_t limit = negative ? uint64_t{1} << 63 : std::numeric_limits<int64_t>::max();
    uint64_t magnitude = 0;
    while (!AtEnd() && Peek() >= '0' && Peek() <= '9') {
      const uint64_t digit = static_cast<uint64_t>(Peek() - '0');
      if (magnitude > (limit - digit) / 10) return ErrorAt(start, "integer out of 64-bit range");
      magnitude = magnitude * 10 + digit;
      ++pos_;
    }
    if (!AtEnd() && (Peek() == '.' || Peek() == 'e' || Peek() == 'E')) {
      return ErrorAt(start, "only integers are supported");
    }
    *out = negative ? static_cast<int64_t>(0 - magnitude) : static_cast<int64_t>(magnitude);
    return Status::Ok();
  }

  std::string_view text_;
  int max_depth_;
  size_t pos_ = 0;
};

}  // namespace

const JsonValue* JsonValue::Find(std::string_view key) const {
  for (const JsonMember& m : members) {
    if (m.key == key) return &m.value;
  }
  return nullptr;
}

std::string_view JsonTypeName(JsonValue::Type type) {
  switch (type) {
    case JsonValue::Type::kObject:
      return "object";
    case JsonValue::Type::kArray:
      return "array";
    case JsonValue::Type::kString:
      return "string";
    case JsonValue::Type::kInteger:
      return "integer";
  }
  return "unknown";
}

StatusOr<JsonValue> ParseJson(std::string_view text, int max_depth) {
  return Parser(text, max_depth).ParseDocument();
}

void AppendJsonString(std::string* out, std::string_view s) {
  static constexpr char kHex[] = "0123456789abcdef";
  out->push_back('"');
  for (char ch : s) {
    const unsigned char c = static_cast<unsigned char>(ch);
    if (c == '"' || c == '\\') {
      out->push_back('\\');
      out->push_back(ch);
    } else if (c == '\n') {
      out->append("\\n");
    } else if (c == '\t') {
      out->append("\\t");
    } else if (c < 0x20) {
      out->append("\\u00");
      out->push_back(kHex[c >> 4]);
      out->push_back(kHex[c & 0xF]);
    } else {
      out->push_back(ch);
    }
  }
  out->push_back('"');
}

}  // namespace neuropart
