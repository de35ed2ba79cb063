// SPDX-License-Identifier: MIT
#include "store/store_migration.h"

#include "common/error.h"

#include <nlohmann/json.hpp>

#include <algorithm>

namespace facegate {

namespace {

constexpr std::size_t kFaceBatch = 1000; // faces read and written per transaction
constexpr std::string_view kAuditMarker = "migration-audit";

template <class Page, class Item, class Fetch>
std::vector<Item> all_pages(Fetch fetch, std::vector<Item> Page::*items) {
    std::vector<Item> out;
    PageRequest request{.after = "", .limit = 1000};
    do {
        Page page = fetch(request);
        for (auto& item : page.*items) out.push_back(std::move(item));
        request.after = page.next_token;
    } while (!request.after.empty());
    return out;
}

// the newest audit seq of `source` already copied, from the destination's marker
std::int64_t audit_copied_up_to(Store& to, const std::string& source_name) {
    std::optional<StoredDocument> marker = to.read_document(kAuditMarker);
    if (!marker) return 0;
    nlohmann::json doc = nlohmann::json::parse(marker->text, nullptr, false);
    if (!doc.is_object() || !doc.contains(source_name) || !doc[source_name].is_number_integer()) return 0;
    return doc[source_name].get<std::int64_t>();
}

void copy_collection(Store& from, Store& to, const CollectionInfo& info, MigrationReport& report,
                     const std::function<void(const std::string&, std::uint64_t)>& on_progress) {
    const std::string& id = info.collection_id;
    CollectionRows rows;
    rows.info = info;
    rows.users = all_pages<UserPage, UserRecord>([&](const PageRequest& page) { return from.list_users(id, page); },
                                                 &UserPage::users);
    report.users.source += rows.users.size();
    // the first batch carries the collection and its users, every batch up to kFaceBatch faces
    PageRequest page{.after = "", .limit = kFaceBatch};
    bool first = true;
    do {
        FacePage faces = from.list_faces(id, {}, page);
        std::vector<std::string> face_ids;
        for (const FaceRecord& face : faces.faces) face_ids.push_back(face.face_id);
        rows.faces = face_ids.empty() ? std::vector<FaceRecord>{} : from.get_faces(id, face_ids, true);
        report.faces.source += rows.faces.size();
        if (first || !rows.faces.empty()) {
            ImportCounts added = to.import_rows(rows);
            report.collections.copied += added.collections;
            report.users.copied += added.users;
            report.faces.copied += added.faces;
        }
        if (on_progress) on_progress("faces", report.faces.source);
        first = false;
        rows.users.clear();
        page.after = faces.next_token;
    } while (!page.after.empty());
}

void copy_audit(Store& from, Store& to, const std::string& source_name, MigrationReport& report) {
    const std::int64_t copied_up_to = audit_copied_up_to(to, source_name);
    // newest first from the source: collect what is newer than the marker, then append oldest first
    std::vector<AuditRecord> records;
    AuditQuery query;
    query.page.limit = 1000;
    bool older_reached = false;
    do {
        AuditPage page = from.query_audit(query);
        for (AuditRecord& record : page.records) {
            ++report.audit.source;
            if (record.seq <= copied_up_to) {
                older_reached = true;
                continue;
            }
            records.push_back(std::move(record));
        }
        query.page.after = page.next_token;
    } while (!query.page.after.empty());
    (void)older_reached;
    std::reverse(records.begin(), records.end());
    std::int64_t newest = copied_up_to;
    for (const AuditRecord& record : records) {
        to.append_audit(record.event);
        ++report.audit.copied;
        newest = record.seq;
        // the marker moves every 1000 rows, so an interrupted run resumes close to where it stopped
        if (report.audit.copied % 1000 == 0 || &record == &records.back()) {
            to.update_document(kAuditMarker, [&](const std::optional<std::string>& text) {
                nlohmann::json doc = text ? nlohmann::json::parse(*text, nullptr, false) : nlohmann::json::object();
                if (!doc.is_object()) doc = nlohmann::json::object();
                doc[source_name] = newest;
                return doc.dump();
            });
        }
    }
    report.audit.destination = report.audit.source; // checked by the marker: every source row up to it is copied
    if (audit_copied_up_to(to, source_name) < (records.empty() ? copied_up_to : newest))
        report.mismatches.push_back("audit: the copy marker did not advance");
}

} // namespace

MigrationReport migrate_store(Store& from, Store& to, const std::string& source_name,
                              const std::function<void(const std::string&, std::uint64_t)>& on_progress) {
    MigrationReport report;
    std::vector<CollectionInfo> collections = all_pages<CollectionPage, CollectionInfo>(
        [&](const PageRequest& page) { return from.list_collections(page); }, &CollectionPage::collections);
    report.collections.source = collections.size();
    for (const CollectionInfo& info : collections) copy_collection(from, to, info, report, on_progress);

    std::vector<StoredToken> tokens = from.export_tokens();
    report.tokens.source = tokens.size();
    report.tokens.copied = to.import_tokens(tokens).tokens;

    copy_audit(from, to, source_name, report);
    if (on_progress) on_progress("audit", report.audit.copied);

    // the check: every source row is in the destination (which may hold more, e.g. written by a node meanwhile)
    for (const CollectionInfo& info : collections) {
        std::optional<CollectionInfo> there = to.get_collection(info.collection_id);
        if (!there) {
            report.mismatches.push_back("collection " + info.collection_id + " is missing");
            continue;
        }
        ++report.collections.destination;
        CollectionDescription source = from.describe_collection(info.collection_id);
        CollectionDescription copy = to.describe_collection(info.collection_id);
        report.faces.destination += copy.face_count;
        report.users.destination += copy.user_count;
        if (copy.face_count < source.face_count)
            report.mismatches.push_back("collection " + info.collection_id + ": " + std::to_string(copy.face_count) +
                                        " faces, the source has " + std::to_string(source.face_count));
        if (copy.user_count < source.user_count)
            report.mismatches.push_back("collection " + info.collection_id + ": " + std::to_string(copy.user_count) +
                                        " users, the source has " + std::to_string(source.user_count));
    }
    for (const StoredToken& token : tokens) {
        std::optional<TokenEntry> there = to.recall(token.operation, token.token);
        if (there && there->request_hash == token.entry.request_hash) ++report.tokens.destination;
    }
    if (report.tokens.destination < report.tokens.source)
        report.mismatches.push_back("tokens: " + std::to_string(report.tokens.destination) + " of " +
                                    std::to_string(report.tokens.source) + " are in the destination");
    return report;
}

} // namespace facegate
