// The Python module `nnr`: the codec's encode, decode and inspect on numpy
// arrays, with the CLI's settings and messages (see python/README.md).
#include <pybind11/numpy.h>
#include <pybind11/pybind11.h>

#include <cmath>
#include <cstring>
#include <memory>
#include <string>
#include <vector>

#include "common/inspect_json.h"
#include "common/settings_json.h"
#include "nnr/anchor.h"
#include "nnr/decoder.h"
#include "nnr/encoder.h"

namespace py = pybind11;

namespace {

[[noreturn]] void raise(const nnr::Status& s) { throw py::value_error(s.describe()); }

// A numpy array as a tensor: floating types as float32 (float64 rounded to
// nearest), integer and bool types as int32 when every value fits, as the
// .npy reader of `nnr encode` converts them.
nnr::Tensor to_tensor(const std::string& name, const py::handle& value) {
  py::array a = py::array::ensure(value);
  if (!a) throw py::type_error("tensor '" + name + "': not an array");
  nnr::Tensor t;
  t.name = name;
  for (py::ssize_t d = 0; d < a.ndim(); ++d) t.shape.push_back(static_cast<int64_t>(a.shape(d)));
  if (t.shape.empty()) t.shape = {1};  // 0-D arrays are coded as shape [1]
  const char kind = a.dtype().kind();
  if (kind == 'f') {
    auto f = py::array_t<float, py::array::c_style | py::array::forcecast>::ensure(a);
    t.f32.assign(f.data(), f.data() + f.size());
  } else if (kind == 'i' || kind == 'u' || kind == 'b') {
    auto w = py::array_t<int64_t, py::array::c_style | py::array::forcecast>::ensure(a);
    t.dtype = nnr::DType::kInt32;
    t.i32.resize(static_cast<size_t>(w.size()));
    for (py::ssize_t i = 0; i < w.size(); ++i) {
      const int64_t v = w.data()[i];
      if (v < INT32_MIN || v > INT32_MAX)
        throw py::value_error("tensor '" + name + "': element " + std::to_string(i) + " (" + std::to_string(v) +
                              ") does not fit int32, the only integer type NNR codes");
      t.i32[static_cast<size_t>(i)] = static_cast<int32_t>(v);
    }
  } else {
    throw py::value_error("tensor '" + name + "': dtype " + py::str(a.dtype()).cast<std::string>() +
                          " (float and integer arrays are coded)");
  }
  return t;
}

// A decoded tensor as a numpy array that owns the decoder's buffer (no copy).
py::array to_array(nnr::Tensor&& t) {
  std::vector<py::ssize_t> shape(t.shape.begin(), t.shape.end());
  if (t.dtype == nnr::DType::kInt32) {
    auto* v = new nnr::ValueVector<int32_t>(std::move(t.i32));
    py::capsule owner(v, [](void* p) { delete static_cast<nnr::ValueVector<int32_t>*>(p); });
    return py::array_t<int32_t>(shape, v->data(), owner);
  }
  auto* v = new nnr::ValueVector<float>(std::move(t.f32));
  py::capsule owner(v, [](void* p) { delete static_cast<nnr::ValueVector<float>*>(p); });
  return py::array_t<float>(shape, v->data(), owner);
}

// A dict (or None) and keyword arguments as the JSON of `nnr encode --settings`.
nlohmann::json settings_json(const py::object& settings, const py::kwargs& overrides) {
  py::module_ json = py::module_::import("json");
  nlohmann::json j = nlohmann::json::object();
  if (!settings.is_none()) j = nlohmann::json::parse(json.attr("dumps")(settings).cast<std::string>());
  if (!j.is_object()) throw py::type_error("settings: expected a dict");
  for (const auto& [k, v] : overrides) j[k.cast<std::string>()] = nlohmann::json::parse(json.attr("dumps")(v).cast<std::string>());
  return j;
}

std::string_view bytes_view(const py::bytes& data) {
  char* p = nullptr;
  Py_ssize_t n = 0;
  if (PyBytes_AsStringAndSize(data.ptr(), &p, &n) != 0) throw py::error_already_set();
  return std::string_view(p, static_cast<size_t>(n));
}

py::bytes encode(const py::dict& tensors, const py::object& settings, int threads, const nnr::DecoderState* parent,
                 const py::kwargs& overrides) {
  std::vector<nnr::Tensor> ts;
  for (const auto& [k, v] : tensors) ts.push_back(to_tensor(py::str(k).cast<std::string>(), v));
  nnr::EncoderSettings s;
  nnr::Status st = nnr::settings_from_json(settings_json(settings, overrides), "", &s);
  if (!st.ok()) raise(st);
  s.parent = parent;
  nnr::EncodeOptions o;
  o.threads = threads;
  o.keep_reconstruction = false;
  nnr::EncodeResult r;
  {
    py::gil_scoped_release free;
    st = nnr::encode(ts, s, o, &r);
  }
  if (!st.ok()) raise(st);
  return py::bytes(reinterpret_cast<const char*>(r.stream.data()), r.stream.size());
}

py::dict decode(const py::bytes& data, int threads, nnr::DecoderState* state) {
  const std::string_view b = bytes_view(data);
  nnr::DecodeOptions o;
  o.threads = threads;
  nnr::DecodedModel m;
  nnr::Status st;
  {
    py::gil_scoped_release free;
    const auto* p = reinterpret_cast<const uint8_t*>(b.data());
    st = nnr::is_anchor_stream(p, b.size()) ? nnr::anchor_decode(p, b.size(), o, &m)
                                            : nnr::decode(p, b.size(), o, state, &m, nullptr);
  }
  if (!st.ok()) raise(st);
  py::dict out;
  for (nnr::DecodedTensor& t : m.tensors) out[py::str(t.name)] = to_array(std::move(t));
  return out;
}

py::object inspect(const py::bytes& data) {
  const std::string_view b = bytes_view(data);
  const auto* p = reinterpret_cast<const uint8_t*>(b.data());
  nlohmann::ordered_json j;
  j["size"] = b.size();
  std::vector<nnr::NnrUnit> units;
  nnr::Status st;
  nnr::DecodedModel m;
  {
    py::gil_scoped_release free;
    st = nnr::parse_units(p, b.size(), &units);
    if (st.ok()) {
      nnr::DecodeOptions o;
      o.keep_levels = true;
      o.apply_local_scaling = false;
      o.threads = 1;
      st = nnr::decode(p, b.size(), o, &m);
    }
  }
  if (!st.ok()) raise(st);
  j["units"] = nnr::units_to_json(units);
  j["tensors"] = nnr::tensors_to_json(m.tensors);
  j["warnings"] = m.warnings;
  return py::module_::import("json").attr("loads")(j.dump());
}

}  // namespace

PYBIND11_MODULE(nnr, m) {
  m.doc() = "MPEG NNR (ISO/IEC 15938-17) neural-network coding: encode, decode, inspect";
  py::class_<nnr::DecoderState>(m, "DecoderState",
                                 "What a decoder keeps between the streams of an edition-2 update sequence: pass "
                                 "one object to decode() for each stream in order, and to encode() as `parent`.")
      .def(py::init<>())
      .def_property_readonly("streams", [](const nnr::DecoderState& s) { return s.streams; },
                             "streams decoded into this state")
      .def_property_readonly("tensors", [](const nnr::DecoderState& s) {
        py::dict d;
        for (const auto& [name, t] : s.tensors) d[py::str(name)] = t.put_node_depth;
        return d;
      }, "put_node_depth (NDUs decoded so far) by tensor name");
  m.def("encode", &encode, py::arg("tensors"), py::arg("settings") = py::none(), py::arg("threads") = 0,
        py::arg("parent") = nullptr,
        "Encodes a dict of numpy arrays (order kept) to an NNR bitstream (bytes). `settings` takes the keys of "
        "`nnr encode --settings`; keyword arguments override single keys (qp=-38, use_dq=False, ...). The bytes are "
        "those `nnr encode` writes for the same arrays and settings, for any `threads` (0: one per core). "
        "`parent`: a DecoderState holding the update sequence so far (edition 2; as `nnr encode --parent`).");
  m.def("decode", &decode, py::arg("data"), py::arg("threads") = 0, py::arg("state") = nullptr,
        "Decodes an NNR bitstream (or an anchor container) to a dict of numpy arrays in stream order; the arrays "
        "own the decoder's buffers (no copy). `state`: a DecoderState for the streams of an update sequence "
        "(edition 2), updated on success.");
  m.def("inspect", &inspect, py::arg("data"), "What `nnr inspect` prints, as a dict: units and tensors.");
  m.attr("__version__") = nnr::version_string();
}
