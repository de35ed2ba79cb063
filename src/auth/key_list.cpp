// SPDX-License-Identifier: MIT
#include "auth/key_list.h"

#include "store/store.h"

namespace facegate {

KeyList KeyList::file(std::filesystem::path data_dir, std::string_view file_name, std::string_view lock_name) {
    KeyList list;
    list.data_dir_ = std::move(data_dir);
    list.name_ = file_name;
    list.lock_name_ = lock_name;
    return list;
}

KeyList KeyList::document(Store& store, std::string_view name) {
    KeyList list;
    list.name_ = name;
    list.store_ = &store;
    return list;
}

std::optional<std::string> KeyList::read() const {
    if (!store_) return read_key_file(data_dir_ / name_);
    std::optional<StoredDocument> document = store_->read_document(name_);
    if (!document) return std::nullopt;
    return std::move(document->text);
}

void KeyList::update(const std::function<std::string(const std::optional<std::string>&)>& change) const {
    if (store_) {
        store_->update_document(name_, change);
        return;
    }
    KeyFileLock lock(data_dir_, lock_name_);
    const std::filesystem::path path = data_dir_ / name_;
    std::string text = change(read_key_file(path));
    write_key_file_atomically(path, text);
}

std::string KeyList::where() const {
    return store_ ? "the store's document '" + name_ + "'" : (data_dir_ / name_).string();
}

KeyListWatcher::KeyListWatcher(KeyList list, std::chrono::milliseconds recheck_interval)
    : list_(std::move(list)), recheck_interval_(recheck_interval) {
    if (!list_.store()) file_watcher_.emplace(list_.data_dir() / list_.name(), recheck_interval);
}

bool KeyListWatcher::changed(bool now) {
    if (file_watcher_) return file_watcher_->changed(now);
    auto time = std::chrono::steady_clock::now();
    if (version_read_ >= 0 && !now && last_check_ && time - *last_check_ < recheck_interval_) return false;
    last_check_ = time;
    return version_read_ < 0 || list_.store()->document_version(list_.name()) != version_read_;
}

std::optional<std::string> KeyListWatcher::read() {
    if (file_watcher_) return file_watcher_->read();
    std::optional<StoredDocument> document = list_.store()->read_document(list_.name());
    version_read_ = document ? document->version : 0;
    if (!document) return std::nullopt;
    return std::move(document->text);
}

void KeyListWatcher::forget() {
    if (file_watcher_) file_watcher_->forget();
    version_read_ = -1;
}

} // namespace facegate
