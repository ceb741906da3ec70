//! Chat: private messages between friends (mutual follows), their history and unread counts, and
//! groups of friends with their messages. Messages are rows only (no event: nothing counts them);
//! live delivery to open connections is the WebSocket layer's ([`crate::chat`]).

use kit::page::Page;

use super::{Social, now};
use crate::domain::actions::comment_content;
use crate::error::SocialError;
use crate::store::chat::{self, GroupMessageRow, GroupRow, MessageRow};
use crate::store::follows;

/// Longest group name, in characters.
pub const MAX_GROUP_NAME: usize = 64;

impl Social {
    fn chat_text(&self, raw: &str) -> Result<String, SocialError> {
        comment_content(raw, self.chat.max_chars)
    }

    /// Stores a message from `from` to `to`; they must be friends.
    #[tracing::instrument(skip_all, fields(user.id = from))]
    pub async fn send_private(
        &self,
        from: i64,
        to: i64,
        content: &str,
    ) -> Result<MessageRow, SocialError> {
        if from == to {
            return Err(SocialError::Invalid("you cannot message yourself"));
        }
        let content = self.chat_text(content)?;
        let friends = follows::friends_among(&self.pool, from, &[to]).await?;
        if friends.is_empty() {
            return Err(SocialError::NotFriends);
        }
        let row = MessageRow {
            id: kit::id::next_id(),
            sender_id: from,
            receiver_id: to,
            content,
            created_at: now(),
        };
        chat::insert_message(&self.pool, &row).await?;
        crate::metrics::action("chat_private");
        Ok(row)
    }

    /// One page of the conversation of `viewer` with `peer`, newest first, with its size. What
    /// `peer` sent is marked read. Former friends still read what they wrote each other.
    pub async fn private_history(
        &self,
        viewer: i64,
        peer: i64,
        page: Page,
    ) -> Result<(Vec<MessageRow>, i64), SocialError> {
        if viewer == peer {
            return Err(SocialError::Invalid(
                "there is no conversation with yourself",
            ));
        }
        let found = chat::history(&self.pool, viewer, peer, page.limit(), page.offset()).await?;
        chat::mark_read(&self.pool, viewer, peer, now()).await?;
        Ok(found)
    }

    /// Unread private messages of `viewer` per sender, in sender order.
    pub async fn unread(&self, viewer: i64) -> Result<Vec<(i64, i64)>, SocialError> {
        chat::unread(&self.pool, viewer)
            .await
            .map_err(SocialError::from)
    }

    /// Creates a group owned by `owner` with `members`, each of whom must be the owner's friend.
    /// The owner is a member; repeated ids count once.
    #[tracing::instrument(skip_all, fields(user.id = owner))]
    pub async fn create_group(
        &self,
        owner: i64,
        name: &str,
        members: &[i64],
    ) -> Result<(GroupRow, Vec<i64>), SocialError> {
        let name = name.trim();
        if name.is_empty() || name.chars().count() > MAX_GROUP_NAME {
            return Err(SocialError::Invalid("name must have 1 to 64 characters"));
        }
        if name.chars().any(char::is_control) {
            return Err(SocialError::Invalid(
                "name must not contain control characters",
            ));
        }
        let mut others: Vec<i64> = members.iter().copied().filter(|m| *m != owner).collect();
        others.sort_unstable();
        others.dedup();
        if others.len() + 1 > self.chat.max_group_members {
            return Err(SocialError::Invalid("too many members for one group"));
        }
        let friends = follows::friends_among(&self.pool, owner, &others).await?;
        if friends.len() != others.len() {
            return Err(SocialError::MembersNotFriends);
        }
        let group = GroupRow {
            id: kit::id::next_id(),
            name: name.to_owned(),
            owner_id: owner,
            created_at: now(),
        };
        let mut all = others;
        all.push(owner);
        all.sort_unstable();
        chat::create_group(&self.pool, &group, &all).await?;
        crate::metrics::action("chat_group_create");
        Ok((group, all))
    }

    /// The groups `viewer` belongs to, newest first.
    pub async fn groups_of(&self, viewer: i64) -> Result<Vec<GroupRow>, SocialError> {
        chat::groups_of(&self.pool, viewer)
            .await
            .map_err(SocialError::from)
    }

    /// The members of `group`, checked to include `viewer`. A group always has its owner as a
    /// member (both are written in one transaction and nobody leaves), so no members means no group.
    async fn members_for(&self, viewer: i64, group: i64) -> Result<Vec<i64>, SocialError> {
        let members = chat::members(&self.pool, group).await?;
        if members.contains(&viewer) {
            Ok(members)
        } else if members.is_empty() {
            Err(SocialError::GroupNotFound)
        } else {
            Err(SocialError::NotGroupMember)
        }
    }

    /// Stores a message from `from` to `group`; returns it with the members to deliver it to.
    #[tracing::instrument(skip_all, fields(user.id = from))]
    pub async fn send_group(
        &self,
        from: i64,
        group: i64,
        content: &str,
    ) -> Result<(GroupMessageRow, Vec<i64>), SocialError> {
        let content = self.chat_text(content)?;
        let members = self.members_for(from, group).await?;
        let row = GroupMessageRow {
            id: kit::id::next_id(),
            group_id: group,
            sender_id: from,
            content,
            created_at: now(),
        };
        chat::insert_group_message(&self.pool, &row).await?;
        crate::metrics::action("chat_group");
        Ok((row, members))
    }

    /// One page of a group's messages, newest first, with their number; members only.
    pub async fn group_history(
        &self,
        viewer: i64,
        group: i64,
        page: Page,
    ) -> Result<(Vec<GroupMessageRow>, i64), SocialError> {
        self.members_for(viewer, group).await?;
        chat::group_history(&self.pool, group, page.limit(), page.offset())
            .await
            .map_err(SocialError::from)
    }
}
