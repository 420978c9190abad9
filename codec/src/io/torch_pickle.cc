#include "io/torch_pickle.h"

#include <map>
#include <memory>
#include <utility>

namespace nnr {

namespace {

struct Obj;
using Ref = std::shared_ptr<Obj>;

struct Obj {
  enum Kind { kNone, kBool, kInt, kFloat, kStr, kTuple, kList, kDict, kGlobal, kStorage, kTensor, kMark, kOther };
  Kind kind = kNone;
  int64_t i = 0;
  std::string s;                          // kStr, kGlobal ("module name")
  std::vector<Ref> items;                 // kTuple, kList
  std::vector<std::pair<Ref, Ref>> dict;  // kDict, insertion order
  PickledTensor tensor;                   // kStorage (partial), kTensor
  int depth = 1;                          // nesting: 1 + the deepest item's (when it was added)
  ~Obj();
};

// Without recursion: the items of an object about to be freed are taken
// out first, so a nesting of any depth (which the memo can build behind the
// depth check) is freed in a loop.
Obj::~Obj() {
  std::vector<Ref> pending;
  auto take = [&pending](Obj& o) {
    for (Ref& x : o.items) pending.push_back(std::move(x));
    o.items.clear();
    for (auto& [k, v] : o.dict) {
      pending.push_back(std::move(k));
      pending.push_back(std::move(v));
    }
    o.dict.clear();
  };
  take(*this);
  while (!pending.empty()) {
    Ref r = std::move(pending.back());
    pending.pop_back();
    if (r && r.use_count() == 1) take(*r);
  }
}

// A state dict nests a few levels; bounding the depth keeps a crafted file
// from building a tree whose recursive destruction overflows the stack.
constexpr int kMaxDepth = 64;

Ref make(Obj::Kind k) {
  auto r = std::make_shared<Obj>();
  r->kind = k;
  return r;
}

struct StorageType {
  const char* name;
  StoredType type;
};
const StorageType kStorageTypes[] = {
    {"FloatStorage", StoredType::kF32}, {"HalfStorage", StoredType::kF16},   {"BFloat16Storage", StoredType::kBF16},
    {"DoubleStorage", StoredType::kF64}, {"CharStorage", StoredType::kI8},   {"ByteStorage", StoredType::kU8},
    {"ShortStorage", StoredType::kI16},  {"IntStorage", StoredType::kI32},   {"LongStorage", StoredType::kI64},
    {"BoolStorage", StoredType::kBool},
};

class Unpickler {
 public:
  Unpickler(const uint8_t* d, size_t n, std::string what) : d_(d), n_(n), what_(std::move(what)) {}
  // A pickle can make cycles (a list appended to itself through the memo),
  // which reference counting never frees: every object still alive is
  // emptied, which breaks them.
  ~Unpickler() {
    stack_.clear();
    memo_.clear();
    for (const std::weak_ptr<Obj>& w : made_)
      if (Ref r = w.lock()) {
        std::vector<Ref> items = std::move(r->items);
        std::vector<std::pair<Ref, Ref>> dict = std::move(r->dict);
        r->items.clear();
        r->dict.clear();
      }
  }
  Unpickler(const Unpickler&) = delete;
  Unpickler& operator=(const Unpickler&) = delete;

  Ref run() {
    while (true) {
      op_pos_ = p_;
      const uint8_t op = byte();
      switch (op) {
        case 0x80: byte(); break;                    // PROTO
        case 0x95: bytes(8); break;                  // FRAME
        case '.': return pop();                      // STOP
        case '(': push(make(Obj::kMark)); break;     // MARK
        case ')': push(make(Obj::kTuple)); break;    // EMPTY_TUPLE
        case ']': push(make(Obj::kList)); break;     // EMPTY_LIST
        case '}': push(make(Obj::kDict)); break;     // EMPTY_DICT
        case 'N': push(make(Obj::kNone)); break;
        case 0x88: push_bool(true); break;           // NEWTRUE
        case 0x89: push_bool(false); break;          // NEWFALSE
        case 'K': push_int(byte()); break;           // BININT1
        case 'M': push_int(static_cast<int64_t>(le(2))); break;  // BININT2
        case 'J': push_int(static_cast<int32_t>(le(4))); break;  // BININT
        case 0x8a: {                                 // LONG1
          const size_t k = byte();
          if (k > 8) fail("LONG1 wider than 8 bytes");
          uint64_t v = le(k);
          if (k && k < 8 && (v >> (8 * k - 1)) & 1) v |= ~uint64_t{0} << (8 * k);
          push_int(static_cast<int64_t>(v));
          break;
        }
        case 'G': {                                  // BINFLOAT (big endian)
          uint64_t v = 0;
          for (int k = 0; k < 8; ++k) v = (v << 8) | byte();
          auto r = make(Obj::kFloat);
          r->i = static_cast<int64_t>(v);
          push(r);
          break;
        }
        case 'X': push_str(le(4)); break;            // BINUNICODE
        case 0x8c: push_str(byte()); break;          // SHORT_BINUNICODE
        case 0x8d: push_str(le(8)); break;           // BINUNICODE8
        case 'C': push_str(byte()); break;           // SHORT_BINBYTES
        case 'B': push_str(le(4)); break;            // BINBYTES
        case 'c': {                                  // GLOBAL "module\nname\n"
          std::string mod = line(), name = line();
          auto r = make(Obj::kGlobal);
          r->s = mod + " " + name;
          push(r);
          break;
        }
        case 0x93: {                                 // STACK_GLOBAL
          Ref name = pop(), mod = pop();
          auto r = make(Obj::kGlobal);
          r->s = mod->s + " " + name->s;
          push(r);
          break;
        }
        case 'q': memo_[byte()] = top(); break;      // BINPUT
        case 'r': memo_[le(4)] = top(); break;       // LONG_BINPUT
        case 0x94: memo_[memo_.size()] = top(); break;  // MEMOIZE
        case 'h': push(memo(byte())); break;         // BINGET
        case 'j': push(memo(le(4))); break;          // LONG_BINGET
        case 't': {                                  // TUPLE
          auto r = make(Obj::kTuple);
          r->items = pop_to_mark();
          deepen(*r, r->items);
          push(r);
          break;
        }
        case 0x85: case 0x86: case 0x87: {           // TUPLE1..3
          const size_t k = op - 0x84u;
          auto r = make(Obj::kTuple);
          r->items.resize(k);
          for (size_t x = k; x-- > 0;) r->items[x] = pop();
          deepen(*r, r->items);
          push(r);
          break;
        }
        case 'l': {                                  // LIST
          auto r = make(Obj::kList);
          r->items = pop_to_mark();
          deepen(*r, r->items);
          push(r);
          break;
        }
        case 'e': {                                  // APPENDS
          std::vector<Ref> v = pop_to_mark();
          Ref lst = top();
          deepen(*lst, v);
          lst->items.insert(lst->items.end(), v.begin(), v.end());
          break;
        }
        case 'a': {                                  // APPEND
          Ref v = pop();
          deepen(*top(), {v});
          top()->items.push_back(v);
          break;
        }
        case 's': {                                  // SETITEM
          Ref v = pop(), k = pop();
          set_item(top(), k, v);
          break;
        }
        case 'u': {                                  // SETITEMS
          std::vector<Ref> v = pop_to_mark();
          if (v.size() % 2) fail("SETITEMS with an odd number of items");
          Ref dict = top();
          for (size_t k = 0; k < v.size(); k += 2) set_item(dict, v[k], v[k + 1]);
          break;
        }
        case 'b': pop(); break;                      // BUILD: object state (e.g. _metadata), ignored
        case 'Q': {                                  // BINPERSID
          Ref pid = pop();
          push(persistent_load(pid));
          break;
        }
        case 'R': {                                  // REDUCE
          Ref args = pop(), fn = pop();
          push(reduce(fn, args));
          break;
        }
        case 0x81: {                                 // NEWOBJ
          Ref args = pop(), cls = pop();
          push(reduce(cls, args));
          break;
        }
        default:
          fail("unsupported pickle opcode 0x" + hex(op));
      }
    }
  }

 private:
  [[noreturn]] void fail(const std::string& m) const {
    throw Error(ErrorCode::kInvalidData, static_cast<int64_t>(op_pos_), what_ + ": " + m);
  }
  static std::string hex(uint8_t v) {
    const char* h = "0123456789abcdef";
    return std::string{h[v >> 4], h[v & 15]};
  }
  uint8_t byte() {
    if (p_ >= n_) fail("pickle ends early");
    return d_[p_++];
  }
  uint64_t le(size_t k) {
    uint64_t v = 0;
    for (size_t x = 0; x < k; ++x) v |= uint64_t{byte()} << (8 * x);
    return v;
  }
  void bytes(size_t k) {
    if (k > n_ - p_) fail("pickle ends early");
    p_ += k;
  }
  std::string line() {
    std::string s;
    for (;;) {
      const char c = static_cast<char>(byte());
      if (c == '\n') return s;
      s += c;
      if (s.size() > 4096) fail("GLOBAL name too long");
    }
  }
  // A container's depth from the items it takes in; refused beyond
  // kMaxDepth (an item that is the container itself, through the memo, is
  // as deep as any limit).
  void deepen(Obj& parent, const std::vector<Ref>& items) {
    for (const Ref& x : items) {
      if (x.get() == &parent) fail("a container that holds itself");
      if (x->depth + 1 > parent.depth) parent.depth = x->depth + 1;
    }
    if (parent.depth > kMaxDepth) fail("nested deeper than " + std::to_string(kMaxDepth) + " levels");
  }

  void push(Ref r) {
    if (stack_.size() > (1u << 20)) fail("pickle stack too deep");
    stack_.push_back(std::move(r));
  }
  Ref pop() {
    if (stack_.empty()) fail("pickle stack underflow");
    Ref r = stack_.back();
    stack_.pop_back();
    return r;
  }
  Ref top() {
    if (stack_.empty()) fail("pickle stack underflow");
    return stack_.back();
  }
  std::vector<Ref> pop_to_mark() {
    std::vector<Ref> v;
    for (;;) {
      Ref r = pop();
      if (r->kind == Obj::kMark) break;
      v.push_back(r);
    }
    return {v.rbegin(), v.rend()};
  }
  Ref memo(uint64_t k) {
    auto it = memo_.find(k);
    if (it == memo_.end()) fail("memo entry " + std::to_string(k) + " not defined");
    return it->second;
  }
  void push_bool(bool b) {
    auto r = make(Obj::kBool);
    r->i = b;
    push(r);
  }
  void push_int(int64_t v) {
    auto r = make(Obj::kInt);
    r->i = v;
    push(r);
  }
  void push_str(uint64_t len) {
    if (len > n_ - p_) fail("string runs past the end of the pickle");
    auto r = make(Obj::kStr);
    r->s.assign(reinterpret_cast<const char*>(d_ + p_), static_cast<size_t>(len));
    p_ += static_cast<size_t>(len);
    push(r);
  }
  void set_item(const Ref& dict, const Ref& k, const Ref& v) {
    if (dict->kind != Obj::kDict) fail("SETITEM on something that is not a dict");
    dict->dict.emplace_back(k, v);
  }
  int64_t as_int(const Ref& r, const char* what) const {
    if (r->kind != Obj::kInt) fail(std::string("expected an integer for ") + what);
    return r->i;
  }
  std::vector<int64_t> int_tuple(const Ref& r, const char* what) const {
    if (r->kind != Obj::kTuple) fail(std::string("expected a tuple for ") + what);
    std::vector<int64_t> v;
    for (const Ref& x : r->items) v.push_back(as_int(x, what));
    return v;
  }

  // ('storage', <storage type>, key, location, numel)
  Ref persistent_load(const Ref& pid) {
    if (pid->kind != Obj::kTuple || pid->items.size() < 5 || pid->items[0]->s != "storage")
      fail("unsupported persistent id (not a tensor storage)");
    auto r = make(Obj::kStorage);
    const Ref& cls = pid->items[1];
    if (cls->kind != Obj::kGlobal) fail("storage type is not a class");
    const std::string name = cls->s.substr(cls->s.find(' ') + 1);
    r->tensor.type_name = name;
    r->tensor.type_known = false;
    for (const StorageType& t : kStorageTypes) {
      if (name == t.name) {
        r->tensor.type = t.type;
        r->tensor.type_known = true;
      }
    }
    r->tensor.storage_key = pid->items[2]->s;
    r->tensor.storage_numel = as_int(pid->items[4], "storage size");
    return r;
  }

  Ref reduce(const Ref& fn, const Ref& args) {
    if (fn->kind != Obj::kGlobal) fail("REDUCE of something that is not a class or function");
    if (fn->s == "collections OrderedDict" || fn->s == "builtins dict") return make(Obj::kDict);
    if (fn->s == "torch._utils _rebuild_tensor_v2" || fn->s == "torch._utils _rebuild_tensor") {
      if (args->kind != Obj::kTuple || args->items.size() < 4 || args->items[0]->kind != Obj::kStorage)
        fail("unexpected arguments of " + fn->s);
      auto r = make(Obj::kTensor);
      r->tensor = args->items[0]->tensor;
      r->tensor.offset = as_int(args->items[1], "storage offset");
      r->tensor.shape = int_tuple(args->items[2], "tensor size");
      r->tensor.stride = int_tuple(args->items[3], "tensor stride");
      return r;
    }
    if (fn->s == "torch._utils _rebuild_parameter" ||
        fn->s == "torch._utils _rebuild_parameter_with_state") {
      if (args->kind != Obj::kTuple || args->items.empty()) fail("unexpected arguments of " + fn->s);
      return args->items[0];
    }
    auto r = make(Obj::kOther);
    r->s = fn->s;
    return r;
  }

  const uint8_t* d_;
  size_t n_;
  size_t p_ = 0, op_pos_ = 0;
  std::string what_;
  std::vector<Ref> stack_;
  std::map<uint64_t, Ref> memo_;
  std::vector<std::weak_ptr<Obj>> made_;  // every object made, for the destructor

  Ref make(Obj::Kind k) {
    Ref r = nnr::make(k);
    made_.push_back(r);
    return r;
  }
};

}  // namespace

Status unpickle_state_dict(const uint8_t* data, size_t size, const std::string& what,
                           std::vector<PickledTensor>* out) {
  try {
    Unpickler u(data, size, what);
    Ref root = u.run();
    if (root->kind != Obj::kDict)
      return Status(ErrorCode::kInvalidData, kNoOffset, what + ": the pickle is not a dict of tensors");
    for (const auto& [k, v] : root->dict) {
      if (k->kind != Obj::kStr)
        return Status(ErrorCode::kInvalidData, kNoOffset, what + ": a state-dict key is not a string");
      if (v->kind != Obj::kTensor)
        return Status(ErrorCode::kInvalidData, kNoOffset,
                      what + ": entry '" + k->s + "' is not a tensor" +
                          (v->kind == Obj::kOther ? " (" + v->s + ")" : std::string()));
      PickledTensor t = v->tensor;
      t.key = k->s;
      out->push_back(std::move(t));
    }
    return Status();
  } catch (const Error& e) {
    return Status::from(e);
  }
}

}  // namespace nnr
