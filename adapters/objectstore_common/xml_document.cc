#include "xml_document.h"

#include <libxml/parser.h>
#include <libxml/tree.h>

#include <mutex>

#include "absl/strings/ascii.h"
#include "absl/strings/str_cat.h"
#include "cask/string_view_compat.h"

namespace cask::objstore {
namespace {

void InitOnce() {
  // libxml2 must be initialised before threads use it.
  static std::once_flag once;
  std::call_once(once, [] { xmlInitParser(); });
}

bool NameIs(const xmlNode* node, std::string_view name) {
  return node->type == XML_ELEMENT_NODE &&
         std::string_view(reinterpret_cast<const char*>(node->name)) == name;
}

std::string TextOf(const xmlNode* node) {
  xmlChar* content = xmlNodeGetContent(node);
  if (content == nullptr) return "";
  std::string text(reinterpret_cast<const char*>(content));
  xmlFree(content);
  return text;
}

// Appends the nodes reached from `node` by path[i..] to `out`.
void Walk(const xmlNode* node, const std::vector<std::string_view>& path,
          std::size_t i, std::vector<const xmlNode*>& out) {
  if (i == path.size()) {
    out.push_back(node);
    return;
  }
  for (const xmlNode* child = node->children; child != nullptr;
       child = child->next) {
    if (NameIs(child, path[i])) Walk(child, path, i + 1, out);
  }
}

}  // namespace

void XmlDocument::Freer::operator()(void* doc) const {
  xmlFreeDoc(static_cast<xmlDoc*>(doc));
}

absl::StatusOr<XmlDocument> XmlDocument::Parse(std::string_view xml) {
  InitOnce();
  // No network, no DTD, no external entities; errors are returned, not
  // printed.
  const int options = XML_PARSE_NONET | XML_PARSE_NOERROR | XML_PARSE_NOWARNING;
  xmlDoc* doc = xmlReadMemory(xml.data(), static_cast<int>(xml.size()),
                              "answer.xml", nullptr, options);
  if (doc == nullptr || xmlDocGetRootElement(doc) == nullptr) {
    const xmlError* error = xmlGetLastError();
    std::string why =
        error != nullptr && error->message != nullptr
            ? absl::StrCat("line ", error->line, ": ",
                           absl::StripAsciiWhitespace(error->message))
            : std::string("no root element");
    if (doc != nullptr) xmlFreeDoc(doc);
    return absl::InternalError(
        absl::StrCat("the answer is not well-formed XML (", why, ")"));
  }
  return XmlDocument(doc);
}

std::string XmlDocument::RootName() const {
  const xmlNode* root = xmlDocGetRootElement(static_cast<xmlDoc*>(doc_.get()));
  return reinterpret_cast<const char*>(root->name);
}

std::vector<std::string> XmlDocument::Texts(
    std::initializer_list<std::string_view> path) const {
  std::vector<const xmlNode*> nodes;
  Walk(xmlDocGetRootElement(static_cast<xmlDoc*>(doc_.get())),
       std::vector<std::string_view>(path), 0, nodes);
  std::vector<std::string> texts;
  texts.reserve(nodes.size());
  for (const xmlNode* node : nodes) texts.push_back(TextOf(node));
  return texts;
}

std::string XmlDocument::Text(
    std::initializer_list<std::string_view> path) const {
  std::vector<std::string> texts = Texts(path);
  return texts.empty() ? std::string() : std::move(texts.front());
}

std::string XmlErrorField(std::string_view xml, std::string_view field) {
  if (xml.empty()) return "";
  absl::StatusOr<XmlDocument> doc = XmlDocument::Parse(xml);
  return doc.ok() ? doc->Text({field}) : std::string();
}

std::string XmlEscape(std::string_view text) {
  InitOnce();
  std::string in(text);  // libxml2 wants a NUL-terminated string
  xmlChar* escaped = xmlEncodeSpecialChars(
      nullptr, reinterpret_cast<const xmlChar*>(in.c_str()));
  if (escaped == nullptr) return "";
  std::string out(reinterpret_cast<const char*>(escaped));
  xmlFree(escaped);
  return out;
}

}  // namespace cask::objstore
