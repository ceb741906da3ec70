// 点赞, 评论, 关系: likes of videos and comments (counters exact after the Kafka fold), comment
// trees with nested replies and deletion by the author only, follows, followers and friends.

import { check, signUp, step } from './dsl.mjs';
import { publish } from './videos.mjs';

const L = '点赞';
const C = '评论';
const R = '关系';

/** The first page of a list, ten items. */
const page = (q) => ({ ...q, page_num: 0, page_size: 10 });

const count = (field, idVar, n) =>
  `(body.data.items.find(function (v) { return v.id === pm.environment.get('${idVar}'); }) || {}).${field} === ${n}`;

export const likes = {
  name: L,
  steps: [
    ...signUp(L, 'la'),
    ...signUp(L, 'lb'),
    ...publish(L, 'la', 'Apifox 点赞视频', 'l_video'),
    step(`${L}: 点赞视频 (互动服务经 Kafka 得知新视频后)`, 'POST', '/like/action', {
      auth: 'lb',
      wait: { path: '/comment/list?video_id={{l_video}}&page_num=0&page_size=1', until: 'body.base.code === 10000' },
      form: { video_id: '{{l_video}}', action_type: 1 },
      expect: { code: 10000, data: null },
    }),
    step(`${L}: 重复点赞 (13002)`, 'POST', '/like/action', {
      auth: 'lb',
      form: { video_id: '{{l_video}}', action_type: 1 },
      expect: { code: 13002 },
    }),
    step(`${L}: 点赞数为 1 (计数最终一致)`, 'GET', '/video/list', {
      query: { user_id: '{{la_id}}', page_num: 0, page_size: 10 },
      wait: { path: '/video/list?user_id={{la_id}}&page_num=0&page_size=10', until: count('like_count', 'l_video', 1) },
      expect: { code: 10000, data: 'VideoPage' },
      test: [check('like_count is 1, not 2', `pm.expect(${count('like_count', 'l_video', 1)}).to.equal(true);`)],
    }),
    step(`${L}: 点赞列表`, 'GET', '/like/list', {
      query: { user_id: '{{lb_id}}', page_num: 0, page_size: 10 },
      expect: { code: 10000, data: 'VideoList' },
      test: [check('the liked video', "pm.expect(body.data.items.map(function (v) { return v.id; })).to.eql([pm.environment.get('l_video')]);")],
    }),
    step(`${L}: action_type 不合法 (10002)`, 'POST', '/like/action', {
      auth: 'lb',
      form: { video_id: '{{l_video}}', action_type: 3 },
      expect: { code: 10002 },
    }),
    step(`${L}: 缺少 video_id 与 comment_id (10002)`, 'POST', '/like/action', {
      auth: 'lb',
      form: { action_type: 1 },
      expect: { code: 10002 },
    }),
    step(`${L}: 不存在的视频 (12001)`, 'POST', '/like/action', {
      auth: 'lb',
      form: { video_id: '9000000000000000001', action_type: 1 },
      expect: { code: 12001 },
    }),
    step(`${L}: 未登录点赞 (10003)`, 'POST', '/like/action', {
      form: { video_id: '{{l_video}}', action_type: 1 },
      expect: { code: 10003 },
    }),
    step(`${L}: 取消点赞`, 'POST', '/like/action', {
      auth: 'lb',
      form: { video_id: '{{l_video}}', action_type: 2 },
      expect: { code: 10000, data: null },
    }),
    step(`${L}: 重复取消 (13003)`, 'POST', '/like/action', {
      auth: 'lb',
      form: { video_id: '{{l_video}}', action_type: 2 },
      expect: { code: 13003 },
    }),
    step(`${L}: 点赞数回到 0`, 'GET', '/video/list', {
      query: { user_id: '{{la_id}}', page_num: 0, page_size: 10 },
      wait: { path: '/video/list?user_id={{la_id}}&page_num=0&page_size=10', until: count('like_count', 'l_video', 0) },
      expect: { code: 10000, data: 'VideoPage' },
      test: [check('like_count is 0', `pm.expect(${count('like_count', 'l_video', 0)}).to.equal(true);`)],
    }),
    step(`${L}: 点赞列表为空`, 'GET', '/like/list', {
      query: { user_id: '{{lb_id}}', page_num: 0, page_size: 10 },
      expect: { code: 10000, data: 'VideoList' },
      test: [check('nothing liked', 'pm.expect(body.data.items).to.eql([]);')],
    }),
    step(`${L}: 点赞列表 user_id 不是数字 (10002)`, 'GET', '/like/list', {
      query: { user_id: 'abc', page_num: 0, page_size: 10 },
      expect: { code: 10002 },
    }),
  ],
};

export const commentsArea = {
  name: C,
  steps: [
    ...signUp(C, 'ca'),
    ...signUp(C, 'cb'),
    ...publish(C, 'ca', 'Apifox 评论视频', 'c_video'),
    step(`${C}: 评论视频 (互动服务经 Kafka 得知新视频后)`, 'POST', '/comment/publish', {
      auth: 'cb',
      wait: { path: '/comment/list?video_id={{c_video}}&page_num=0&page_size=1', until: 'body.base.code === 10000' },
      form: { video_id: '{{c_video}}', content: '第一条评论' },
      expect: { code: 10000, data: null },
    }),
    step(`${C}: 评论列表`, 'GET', '/comment/list', {
      query: page({ video_id: '{{c_video}}' }),
      expect: { code: 10000, data: 'CommentList' },
      test: [check('one top-level comment by cb', 'pm.expect(body.data.items.length).to.equal(1);',
        "pm.expect(body.data.items[0].user_id).to.equal(pm.environment.get('cb_id'));",
        "pm.expect(body.data.items[0].parent_id).to.equal('');", "pm.expect(body.data.items[0].content).to.equal('第一条评论');")],
      save: { c_comment: 'body.data.items[0].id' },
    }),
    step(`${C}: 回复评论`, 'POST', '/comment/publish', {
      auth: 'ca',
      form: { comment_id: '{{c_comment}}', content: '作者的回复' },
      expect: { code: 10000, data: null },
    }),
    step(`${C}: 子评论列表`, 'GET', '/comment/list', {
      query: page({ comment_id: '{{c_comment}}' }),
      expect: { code: 10000, data: 'CommentList' },
      test: [check('the reply, under its parent', 'pm.expect(body.data.items.length).to.equal(1);',
        "pm.expect(body.data.items[0].parent_id).to.equal(pm.environment.get('c_comment'));",
        "pm.expect(body.data.items[0].user_id).to.equal(pm.environment.get('ca_id'));")],
      save: { c_reply: 'body.data.items[0].id' },
    }),
    step(`${C}: 回复数与评论数 (计数最终一致)`, 'GET', '/comment/list', {
      query: page({ video_id: '{{c_video}}' }),
      wait: { path: '/comment/list?video_id={{c_video}}&page_num=0&page_size=10', until: 'body.data.items[0].child_count === 1' },
      expect: { code: 10000, data: 'CommentList' },
      test: [check('child_count is 1', 'pm.expect(body.data.items[0].child_count).to.equal(1);')],
    }),
    step(`${C}: 点赞评论`, 'POST', '/like/action', {
      auth: 'ca',
      form: { comment_id: '{{c_comment}}', action_type: 1 },
      expect: { code: 10000, data: null },
    }),
    step(`${C}: 评论内容为空 (10002)`, 'POST', '/comment/publish', {
      auth: 'cb',
      form: { video_id: '{{c_video}}', content: '' },
      expect: { code: 10002 },
    }),
    step(`${C}: 评论内容过长 (10002)`, 'POST', '/comment/publish', {
      auth: 'cb',
      form: { video_id: '{{c_video}}', content: 'y'.repeat(1001) },
      expect: { code: 10002 },
    }),
    step(`${C}: 评论不存在的视频 (12001)`, 'POST', '/comment/publish', {
      auth: 'cb',
      form: { video_id: '9000000000000000001', content: 'lost' },
      expect: { code: 12001 },
    }),
    step(`${C}: 未登录评论 (10003)`, 'POST', '/comment/publish', {
      form: { video_id: '{{c_video}}', content: 'anonymous' },
      expect: { code: 10003 },
    }),
    step(`${C}: 评论列表 video_id 不是数字 (10002)`, 'GET', '/comment/list', {
      query: page({ video_id: 'abc' }),
      expect: { code: 10002 },
    }),
    step(`${C}: 删除别人的评论 (10005)`, 'DELETE', '/comment/delete', {
      auth: 'ca',
      form: { video_id: '{{c_video}}', comment_id: '{{c_comment}}' },
      expect: { code: 10005 },
    }),
    step(`${C}: 别人删不掉: 评论还在`, 'GET', '/comment/list', {
      query: page({ video_id: '{{c_video}}' }),
      expect: { code: 10000, data: 'CommentList' },
      test: [check('still there', "pm.expect(body.data.items.map(function (c) { return c.id; })).to.eql([pm.environment.get('c_comment')]);")],
    }),
    step(`${C}: 删除缺少 comment_id (10002)`, 'DELETE', '/comment/delete', {
      auth: 'cb',
      form: { video_id: '{{c_video}}' },
      expect: { code: 10002 },
    }),
    step(`${C}: 作者删除评论`, 'DELETE', '/comment/delete', {
      auth: 'cb',
      form: { video_id: '{{c_video}}', comment_id: '{{c_comment}}' },
      expect: { code: 10000, data: null },
    }),
    step(`${C}: 删除后列表为空, 回复一并删除`, 'GET', '/comment/list', {
      query: page({ video_id: '{{c_video}}' }),
      expect: { code: 10000, data: 'CommentList' },
      test: [check('no comment left', 'pm.expect(body.data.items).to.eql([]);')],
    }),
    step(`${C}: 回复也不在了`, 'GET', '/comment/list', {
      query: page({ comment_id: '{{c_comment}}' }),
      expect: { code: 13001 },
    }),
    step(`${C}: 重复删除 (13001)`, 'DELETE', '/comment/delete', {
      auth: 'cb',
      form: { video_id: '{{c_video}}', comment_id: '{{c_comment}}' },
      expect: { code: 13001 },
    }),
  ],
};

export const relations = {
  name: R,
  steps: [
    ...signUp(R, 'ra'),
    ...signUp(R, 'rb'),
    step(`${R}: 关注 (关系服务经 Kafka 得知新用户后)`, 'POST', '/relation/action', {
      auth: 'ra',
      wait: { path: '/follower/list?user_id={{rb_id}}&page_num=0&page_size=1', until: 'body.base.code === 10000' },
      form: { to_user_id: '{{rb_id}}', action_type: 0 },
      expect: { code: 10000, data: null },
    }),
    step(`${R}: 重复关注 (14002)`, 'POST', '/relation/action', {
      auth: 'ra',
      form: { to_user_id: '{{rb_id}}', action_type: 0 },
      expect: { code: 14002 },
    }),
    step(`${R}: 关注自己 (14001)`, 'POST', '/relation/action', {
      auth: 'ra',
      form: { to_user_id: '{{ra_id}}', action_type: 0 },
      expect: { code: 14001 },
    }),
    step(`${R}: 关注不存在的用户 (11003)`, 'POST', '/relation/action', {
      auth: 'ra',
      form: { to_user_id: '9000000000000000001', action_type: 0 },
      expect: { code: 11003 },
    }),
    step(`${R}: action_type 不合法 (10002)`, 'POST', '/relation/action', {
      auth: 'ra',
      form: { to_user_id: '{{rb_id}}', action_type: 5 },
      expect: { code: 10002 },
    }),
    step(`${R}: to_user_id 不是数字 (10002)`, 'POST', '/relation/action', {
      auth: 'ra',
      form: { to_user_id: 'abc', action_type: 0 },
      expect: { code: 10002 },
    }),
    step(`${R}: 未登录关注 (10003)`, 'POST', '/relation/action', {
      form: { to_user_id: '{{rb_id}}', action_type: 0 },
      expect: { code: 10003 },
    }),
    step(`${R}: 关注列表: 只有一人`, 'GET', '/following/list', {
      query: page({ user_id: '{{ra_id}}' }),
      expect: { code: 10000, data: 'SocialPage' },
      test: [check('rb, once', 'pm.expect(body.data.total).to.equal(1);',
        "pm.expect(body.data.items.map(function (s) { return s.id; })).to.eql([pm.environment.get('rb_id')]);")],
    }),
    step(`${R}: 粉丝列表`, 'GET', '/follower/list', {
      query: page({ user_id: '{{rb_id}}' }),
      expect: { code: 10000, data: 'SocialPage' },
      test: [check('ra follows rb', 'pm.expect(body.data.total).to.equal(1);',
        "pm.expect(body.data.items[0].username).to.equal(pm.environment.get('ra_name'));")],
    }),
    step(`${R}: 还不是好友`, 'GET', '/friends/list', {
      auth: 'ra',
      query: { page_num: 0, page_size: 10 },
      expect: { code: 10000, data: 'SocialPage' },
      test: [check('no friend yet', 'pm.expect(body.data.total).to.equal(0);')],
    }),
    step(`${R}: 回关`, 'POST', '/relation/action', {
      auth: 'rb',
      wait: { path: '/follower/list?user_id={{ra_id}}&page_num=0&page_size=1', until: 'body.base.code === 10000' },
      form: { to_user_id: '{{ra_id}}', action_type: 0 },
      expect: { code: 10000, data: null },
    }),
    step(`${R}: 互相关注即好友`, 'GET', '/friends/list', {
      auth: 'ra',
      query: { page_num: 0, page_size: 10 },
      expect: { code: 10000, data: 'SocialPage' },
      test: [check('rb is a friend', 'pm.expect(body.data.total).to.equal(1);',
        "pm.expect(body.data.items[0].id).to.equal(pm.environment.get('rb_id'));")],
    }),
    step(`${R}: 好友列表未登录 (10003)`, 'GET', '/friends/list', { query: { page_num: 0, page_size: 10 }, expect: { code: 10003 } }),
    step(`${R}: 粉丝列表 page_size 不是数字 (10002)`, 'GET', '/follower/list', {
      query: { user_id: '{{rb_id}}', page_num: 0, page_size: 'ten' },
      expect: { code: 10002 },
    }),
    step(`${R}: 关注列表 user_id 不是数字 (10002)`, 'GET', '/following/list', {
      query: page({ user_id: 'abc' }),
      expect: { code: 10002 },
    }),
    step(`${R}: 取消关注`, 'POST', '/relation/action', {
      auth: 'ra',
      form: { to_user_id: '{{rb_id}}', action_type: 1 },
      expect: { code: 10000, data: null },
    }),
    step(`${R}: 取消未关注的用户 (14003)`, 'POST', '/relation/action', {
      auth: 'ra',
      form: { to_user_id: '{{rb_id}}', action_type: 1 },
      expect: { code: 14003 },
    }),
    step(`${R}: 取消后关注列表为空`, 'GET', '/following/list', {
      query: page({ user_id: '{{ra_id}}' }),
      expect: { code: 10000, data: 'SocialPage' },
      test: [check('nobody', 'pm.expect(body.data.total).to.equal(0);', 'pm.expect(body.data.items).to.eql([]);')],
    }),
  ],
};
