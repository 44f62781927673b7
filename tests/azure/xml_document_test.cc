// The object stores' XML through libxml2 (objectstore_common/
// xml_document.h): the documents S3 and Azure send, with namespaces,
// entities, CDATA and nesting a tag scanner gets wrong.
#include "xml_document.h"

#include "catch2/catch.hpp"

namespace cask::objstore {
namespace {

TEST_CASE("S3 ListObjectsV2 keys are read by path, namespace ignored") {
  absl::StatusOr<XmlDocument> doc = XmlDocument::Parse(
      "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n"
      "<ListBucketResult xmlns=\"http://s3.amazonaws.com/doc/2006-03-01/\">"
      "<Name>b</Name><Prefix>p/</Prefix><KeyCount>2</KeyCount>"
      "<IsTruncated>true</IsTruncated>"
      "<NextContinuationToken>t&amp;1</NextContinuationToken>"
      "<Contents><Key>p/a&lt;b</Key><Owner><ID>x</ID></Owner></Contents>"
      "<Contents><Key><![CDATA[p/<c>]]></Key></Contents>"
      "<CommonPrefixes><Prefix>p/d/</Prefix></CommonPrefixes>"
      "</ListBucketResult>");
  REQUIRE(doc.ok());
  CHECK(doc->RootName() == "ListBucketResult");
  CHECK(doc->Texts({"Contents", "Key"}) ==
        std::vector<std::string>{"p/a<b", "p/<c>"});
  CHECK(doc->Text({"IsTruncated"}) == "true");
  CHECK(doc->Text({"NextContinuationToken"}) == "t&1");
  // Only the path: the root's <Prefix>, not CommonPrefixes' one.
  CHECK(doc->Texts({"Prefix"}) == std::vector<std::string>{"p/"});
  CHECK(doc->Text({"Missing"}).empty());
}

TEST_CASE("Azure List Blobs names and the next marker") {
  absl::StatusOr<XmlDocument> doc = XmlDocument::Parse(
      "\xEF\xBB\xBF<?xml version=\"1.0\" encoding=\"utf-8\"?>"
      "<EnumerationResults ServiceEndpoint=\"http://x/\" ContainerName=\"c\">"
      "<Prefix>p/</Prefix><Blobs>"
      "<Blob><Name>p/&#x263A;</Name><Properties><Etag>0x1</Etag>"
      "</Properties></Blob>"
      "<Blob><Name>p/b</Name></Blob></Blobs>"
      "<NextMarker>m2</NextMarker></EnumerationResults>");
  REQUIRE(doc.ok());
  CHECK(doc->Texts({"Blobs", "Blob", "Name"}) ==
        std::vector<std::string>{"p/\xE2\x98\xBA", "p/b"});
  CHECK(doc->Text({"NextMarker"}) == "m2");
}

TEST_CASE("error bodies: code and message, nothing from non-XML") {
  CHECK(XmlErrorField("<Error><Code>NoSuchKey</Code><Message>The key &quot;"
                      "k&quot; does not exist</Message></Error>",
                      "Code") == "NoSuchKey");
  CHECK(XmlErrorField("<?xml version=\"1.0\"?><Error><Code>C</Code>"
                      "<Message>a &amp; b</Message></Error>",
                      "Message") == "a & b");
  CHECK(XmlErrorField("", "Code").empty());
  CHECK(XmlErrorField("<html><body>Bad Gateway</body>", "Code").empty());
  CHECK(XmlErrorField("upstream connect error", "Code").empty());
}

TEST_CASE("malformed XML is kInternal; external entities are not loaded") {
  CHECK(XmlDocument::Parse("<a><b></a>").status().code() ==
        absl::StatusCode::kInternal);
  CHECK(XmlDocument::Parse("").status().code() == absl::StatusCode::kInternal);
  absl::StatusOr<XmlDocument> doc = XmlDocument::Parse(
      "<?xml version=\"1.0\"?><!DOCTYPE r [<!ENTITY x SYSTEM "
      "\"file:///etc/hostname\">]><r><k>&x;</k></r>");
  if (doc.ok()) CHECK(doc->Text({"k"}).empty());
}

TEST_CASE("element text is escaped for a request body") {
  CHECK(XmlEscape("a<b>&\"c\"") == "a&lt;b&gt;&amp;&quot;c&quot;");
  CHECK(XmlEscape("plain/key:1") == "plain/key:1");
}

}  // namespace
}  // namespace cask::objstore
