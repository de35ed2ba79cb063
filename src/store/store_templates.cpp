// SPDX-License-Identifier: MIT
// Templates at rest, the part every backend shares: the data keys this process holds, sealing and
// opening for the backends, the KEK and data-key rotations and the sealing of a database from before
// sealing. Backends only store what this hands them (see the do_* hooks in store.h).
#include "store/store.h"

#include "common/error.h"

#include <openssl/crypto.h>

#include <algorithm>
#include <bit>
#include <chrono>
#include <map>
#include <mutex>
#include <shared_mutex>

namespace facegate {

namespace {

constexpr int kOpenAttempts = 8;

[[noreturn]] void unavailable(std::string message) { throw Error(ErrorCode::STORE_UNAVAILABLE, std::move(message)); }

std::int64_t wall_clock_ms() {
    return std::chrono::duration_cast<std::chrono::milliseconds>(std::chrono::system_clock::now().time_since_epoch())
        .count();
}

std::string missing_kek_message() {
    return "store: the database holds sealed face templates but no key-encryption key (KEK) is configured: give "
           "--kek-file PATH, --kek-command CMD or FACEGATE_KEK (docs/security.md); nothing was changed";
}

std::string face_label(std::string_view collection_id, std::string_view face_id) {
    return "face " + std::string(face_id) + " of collection " + std::string(collection_id);
}

// the plain bytes of an embedding, wiped when done
struct PlainBytes {
    std::string bytes;
    ~PlainBytes() { OPENSSL_cleanse(bytes.data(), bytes.size()); }
};

} // namespace

//
// the keys this process holds
//

class Store::TemplateKeys {
  public:
    std::function<std::optional<Kek>()> kek_source;
    mutable std::shared_mutex mutex;
    std::optional<Kek> kek;               // guarded by mutex
    std::map<std::uint32_t, SecretKey> keys; // version -> data key (1, 2, ...)
    bool plain_allowed = false;           // the version 0 marker is stored: plain embeddings may remain
    std::uint32_t active = 0;             // 0: not opened yet

    // checks and takes `records` as the keys (the caller holds `mutex` exclusively); Error
    // STORE_UNAVAILABLE, with nothing taken, when the KEK is missing or wrong or the records were altered
    void adopt(const std::vector<DataKeyRecord>& records) {
        if (!kek) unavailable(missing_kek_message());
        std::map<std::uint32_t, SecretKey> next;
        bool plain = false;
        std::uint32_t next_active = 0;
        for (const DataKeyRecord& record : records) {
            if (record.wrapped.empty()) {
                // the marker a schema upgrade writes before any key exists; beside keys it is a forgery
                if (record.version != 0 || records.size() != 1)
                    unavailable("store: the data-key table was altered: an unauthenticated plain-embeddings marker "
                                "beside sealed data");
                plain = true;
                continue;
            }
            if (record.kek_id != kek->id && kek_source) {
                // another process may have re-wrapped the keys (keys rotate-kek): ask the source again
                if (std::optional<Kek> fresh = kek_source(); fresh && fresh->id == record.kek_id) kek = std::move(fresh);
            }
            if (record.kek_id != kek->id)
                unavailable("store: wrong key-encryption key: the data keys are wrapped by the KEK with id " +
                            record.kek_id + ", the KEK given has id " + kek->id +
                            "; nothing was changed (after `facegate keys rotate-kek`, start with the new KEK)");
            std::optional<SecretKey> key = sealing::unwrap_key(*kek, record.version, record.wrapped);
            if (!key)
                unavailable("store: data key v" + std::to_string(record.version) + " does not unwrap with the KEK " +
                            kek->id + " it names: the data-key table was altered or damaged");
            if (record.version == 0)
                plain = true;
            else
                next.emplace(record.version, std::move(*key));
            if (record.active) next_active = record.version;
        }
        keys = std::move(next);
        plain_allowed = plain;
        active = next_active;
    }

    void reload(const std::vector<DataKeyRecord>& records) {
        std::unique_lock lock(mutex);
        adopt(records);
    }
};

Store::Store() : templates_(std::make_unique<TemplateKeys>()) {}

Store::~Store() = default;

//
// opening
//

void Store::open_templates(std::function<std::optional<Kek>()> kek_source, std::function<Kek()> create_kek) {
    TemplateKeys& t = *templates_;
    t.kek_source = std::move(kek_source);
    std::optional<Kek> kek;
    if (t.kek_source) kek = t.kek_source();
    for (int attempt = 0;; ++attempt) {
        std::vector<DataKeyRecord> records = do_load_data_keys();
        const bool sealed = std::any_of(records.begin(), records.end(),
                                        [](const DataKeyRecord& r) { return !r.wrapped.empty(); });
        if (!kek) {
            if (sealed) unavailable(missing_kek_message());
            if (!create_kek)
                unavailable("store: no key-encryption key (KEK) is configured: give --kek-file PATH, --kek-command CMD "
                            "or FACEGATE_KEK (docs/security.md)");
            kek = create_kek();
        }
        {
            std::unique_lock lock(t.mutex);
            t.kek = kek;
            t.adopt(records); // a wrong KEK stops here, before anything is written
        }
        if (t.active != 0) break;
        // a new database, or one from before sealing: the first data key, and the plain marker authenticated
        std::vector<DataKeyRecord> next;
        std::uint32_t version = 1;
        for (const DataKeyRecord& r : records) {
            version = std::max(version, r.version + 1);
            if (r.version == 0)
                next.push_back({0, kek->id, sealing::wrap_key(*kek, 0, SecretKey{}), false, r.created_ms});
        }
        next.push_back({version, kek->id, sealing::wrap_key(*kek, version, SecretKey::random()), true, wall_clock_ms()});
        if (do_replace_data_keys(records, next)) {
            t.reload(next);
            break;
        }
        // another process made the first key meanwhile: take it (checking our KEK against it)
        if (attempt == kOpenAttempts) throw Error(ErrorCode::CONFLICT, "store: the data keys keep changing");
    }
    bool plain;
    std::uint32_t active;
    {
        std::shared_lock lock(t.mutex);
        plain = t.plain_allowed;
        active = t.active;
    }
    if (plain) {
        // a database from before sealing: seal its embeddings now, in batches, as a data-key rotation does
        DataKeyRotation report;
        reseal_all(active, 512, report, {});
        do_scrub();
    }
}

//
// sealing and opening for the backends
//

Store::SealedEmbedding Store::seal_embedding(std::string_view collection_id, std::string_view face_id,
                                             const std::vector<float>& embedding) const {
    PlainBytes plain{encode_embedding(embedding)};
    std::shared_lock lock(templates_->mutex);
    const std::uint32_t active = templates_->active;
    auto key = templates_->keys.find(active);
    if (key == templates_->keys.end()) throw Error(ErrorCode::INTERNAL, "store: no data key to seal with");
    return {active, sealing::seal(key->second, active, collection_id, face_id, plain.bytes)};
}

bool Store::sealing_key_is_current(std::uint32_t active_in_store, const DataKeyLoader& load_keys) {
    {
        std::shared_lock lock(templates_->mutex);
        if (templates_->active == active_in_store) return true;
    }
    templates_->reload(load_keys());
    return false;
}

std::vector<float> Store::open_embedding(std::string_view collection_id, std::string_view face_id,
                                         std::uint32_t key_version, std::string_view blob,
                                         const DataKeyLoader& load_keys) const {
    TemplateKeys& t = *templates_;
    if (key_version == 0) {
        bool plain_allowed;
        {
            std::shared_lock lock(t.mutex);
            plain_allowed = t.plain_allowed;
        }
        if (!plain_allowed)
            throw Error(ErrorCode::INTERNAL, "store: the embedding of " + face_label(collection_id, face_id) +
                                                 " is stored in the clear in a sealed store");
        return decode_embedding(blob.data(), blob.size());
    }
    const std::optional<std::uint32_t> named = sealing::key_version_of(blob);
    if (!named || *named != key_version)
        throw Error(ErrorCode::INTERNAL, "store: the sealed embedding of " + face_label(collection_id, face_id) +
                                             " is damaged (its header does not name its data key)");
    if (blob.size() != sealing::sealed_size(kEmbeddingDim * sizeof(float)))
        throw Error(ErrorCode::INTERNAL, "store: the sealed embedding of " + face_label(collection_id, face_id) +
                                             " has " + std::to_string(blob.size()) + " bytes");
    // opened straight into the floats (their little-endian bytes), without an intermediate copy
    std::vector<float> values(kEmbeddingDim);
    auto* out = reinterpret_cast<unsigned char*>(values.data());
    for (int pass = 0; pass < 2; ++pass) {
        if (pass == 1) t.reload(load_keys()); // sealed by a key made in another process after we loaded ours
        std::shared_lock lock(t.mutex);
        auto key = t.keys.find(key_version);
        if (key == t.keys.end()) {
            if (pass == 0) continue;
            throw Error(ErrorCode::INTERNAL, "store: the embedding of " + face_label(collection_id, face_id) +
                                                 " is sealed with data key v" + std::to_string(key_version) +
                                                 ", which the store does not hold");
        }
        if (!sealing::open_into(key->second, collection_id, face_id, blob, out, values.size() * sizeof(float)))
            throw Error(ErrorCode::INTERNAL, "store: the sealed embedding of " + face_label(collection_id, face_id) +
                                                 " does not open: it was sealed for another face or collection, "
                                                 "or altered");
        break;
    }
    if constexpr (std::endian::native != std::endian::little) {
        PlainBytes bytes{std::string(reinterpret_cast<const char*>(out), values.size() * sizeof(float))};
        return decode_embedding(bytes.bytes.data(), bytes.bytes.size());
    }
    return values;
}

//
// rotations
//

void Store::reseal_all(std::uint32_t target, std::size_t batch, DataKeyRotation& report,
                       const std::function<void(std::uint64_t, std::uint64_t)>& on_progress) {
    TemplateKeys& t = *templates_;
    std::uint64_t pending = do_count_templates_below(target);
    const auto reseal = [&](const StoredTemplate& stored, const DataKeyLoader& load_keys) {
        std::vector<float> embedding =
            open_embedding(stored.collection_id, stored.face_id, stored.key_version, stored.blob, load_keys);
        PlainBytes plain{encode_embedding(embedding)};
        std::fill(embedding.begin(), embedding.end(), 0.f);
        std::shared_lock lock(t.mutex);
        auto key = t.keys.find(target);
        if (key == t.keys.end()) throw Error(ErrorCode::INTERNAL, "store: the new data key is not loaded");
        return sealing::seal(key->second, target, stored.collection_id, stored.face_id, plain.bytes);
    };
    const std::string conflict = "store: another data-key rotation started meanwhile; run `facegate keys "
                                 "rotate-data-key` again to finish it";
    for (;;) {
        std::optional<std::size_t> done = do_reseal_batch(target, std::max<std::size_t>(batch, 1), reseal);
        if (!done) throw Error(ErrorCode::CONFLICT, conflict);
        report.resealed += *done;
        pending = pending > *done ? pending - *done : 0;
        if (*done > 0) {
            if (on_progress) on_progress(report.resealed, pending);
            continue;
        }
        std::vector<std::uint32_t> before;
        {
            std::shared_lock lock(t.mutex);
            for (const auto& [version, key] : t.keys) before.push_back(version);
            if (t.plain_allowed) before.insert(before.begin(), 0);
        }
        if (!do_retire_data_keys(target)) {
            if (do_count_templates_below(target) == 0) throw Error(ErrorCode::CONFLICT, conflict);
            continue; // blobs sealed meanwhile with an older key (a writer that had not seen the new one yet)
        }
        t.reload(do_load_data_keys());
        std::shared_lock lock(t.mutex);
        for (std::uint32_t version : before)
            if (version != target && (version == 0 ? !t.plain_allowed : !t.keys.contains(version)))
                report.retired.push_back(version);
        if (on_progress) on_progress(report.resealed, 0);
        return;
    }
}

void Store::rotate_kek(const Kek& new_kek) {
    TemplateKeys& t = *templates_;
    std::vector<DataKeyRecord> records = do_load_data_keys();
    std::vector<DataKeyRecord> next;
    {
        std::unique_lock lock(t.mutex);
        t.adopt(records); // the KEK in use must open them
        if (new_kek.id == t.kek->id)
            throw Error(ErrorCode::INVALID_PARAMETER, "the new KEK is the one the data keys are wrapped by already");
        for (const DataKeyRecord& r : records) {
            DataKeyRecord n = r;
            n.kek_id = new_kek.id;
            n.wrapped = sealing::wrap_key(new_kek, r.version, r.version == 0 ? SecretKey{} : t.keys.at(r.version));
            next.push_back(std::move(n));
        }
    }
    if (!do_replace_data_keys(records, next))
        throw Error(ErrorCode::CONFLICT, "store: the data keys changed meanwhile (another rotation?); run it again");
    {
        std::unique_lock lock(t.mutex);
        t.kek = new_kek;
        t.adopt(next);
    }
    do_scrub(); // the keys wrapped by the old KEK leave the files now
}

DataKeyRotation Store::rotate_data_key(std::size_t batch,
                                       const std::function<void(std::uint64_t, std::uint64_t)>& on_progress) {
    TemplateKeys& t = *templates_;
    std::vector<DataKeyRecord> records = do_load_data_keys();
    t.reload(records);
    DataKeyRotation report;
    std::uint32_t target = 0, newest = 0;
    for (const DataKeyRecord& r : records) {
        newest = std::max(newest, r.version);
        if (r.active) target = r.version;
    }
    if (target == 0) throw Error(ErrorCode::INTERNAL, "store: no active data key");
    if (records.size() > 1) {
        // an earlier rotation (or the sealing of plain embeddings) did not finish: carry it on
        report.resumed = true;
    } else {
        std::optional<Kek> kek;
        {
            std::shared_lock lock(t.mutex);
            kek = t.kek;
        }
        std::vector<DataKeyRecord> next = records;
        for (DataKeyRecord& r : next) r.active = false;
        target = newest + 1;
        next.push_back({target, kek->id, sealing::wrap_key(*kek, target, SecretKey::random()), true, wall_clock_ms()});
        if (!do_replace_data_keys(records, next))
            throw Error(ErrorCode::CONFLICT, "store: the data keys changed meanwhile (another rotation?); run it again");
        t.reload(next);
    }
    report.version = target;
    reseal_all(target, batch, report, on_progress);
    do_scrub(); // the blobs of the old key and its wrapped copy leave the files now
    return report;
}

TemplateKeyStatus Store::template_key_status() {
    std::vector<DataKeyRecord> records = do_load_data_keys();
    templates_->reload(records);
    TemplateKeyStatus status;
    for (const DataKeyRecord& r : records) {
        status.versions.push_back(r.version);
        if (r.active) status.active_version = r.version;
        if (status.kek_id.empty()) status.kek_id = r.kek_id;
    }
    status.pending = do_count_templates_below(status.active_version);
    return status;
}

} // namespace facegate
