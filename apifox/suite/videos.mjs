// 视频: publish through the west2 form, the feed (with latest_time and paging), an uploader's
// list with its total, the popular ranking, and each route's bad input.

import { check, signUp, step } from './dsl.mjs';

const A = '视频';

/** Publish one video as `who` titled `title`; its id lands in {{<idVar>}} (read from the list). */
export function publish(label, who, title, idVar) {
  return [
    step(`${label}: 投稿 (${title})`, 'POST', '/video/publish', {
      auth: who,
      form: { title, description: 'apifox suite video' },
      files: { data: 'fixtures/clip.mp4' },
      expect: { code: 10000, data: null },
    }),
    step(`${label}: 投稿出现在作者的列表里`, 'GET', '/video/list', {
      query: { user_id: `{{${who}_id}}`, page_num: 0, page_size: 10 },
      expect: { code: 10000, data: 'VideoPage' },
      test: [check('the new video is listed first',
        `const want = ${JSON.stringify(title)}.replace(/{{(\\w+)}}/g, function (_, k) { return pm.environment.get(k); });`,
        'pm.expect(body.data.items[0].title).to.equal(want);',
        `pm.expect(body.data.items[0].user_id).to.equal(pm.environment.get('${who}_id'));`)],
      save: { [idVar]: 'body.data.items[0].id' },
    }),
  ];
}

export default {
  name: A,
  steps: [
    ...signUp(A, 'p'),
    step(`${A}: 记下开始时间`, 'GET', '/video/feed', {
      query: { page_size: 1 },
      expect: { code: 10000, data: 'VideoList' },
      save: { feed_since: 'String(Date.now() - 1000)' },
    }),
    ...publish(A, 'p', 'Apifox 视频一号', 'p_video1'),
    ...publish(A, 'p', 'Apifox 视频二号', 'p_video2'),
    step(`${A}: 作者列表: 总数 2, 新的在前`, 'GET', '/video/list', {
      query: { user_id: '{{p_id}}', page_num: 0, page_size: 10 },
      expect: { code: 10000, data: 'VideoPage' },
      test: [check('two videos, newest first', 'pm.expect(body.data.total).to.equal(2);',
        "pm.expect(body.data.items.map(function (v) { return v.id; })).to.eql([pm.environment.get('p_video2'), pm.environment.get('p_video1')]);")],
    }),
    step(`${A}: 作者列表分页: 每页 1 条`, 'GET', '/video/list', {
      query: { user_id: '{{p_id}}', page_num: 1, page_size: 1 },
      expect: { code: 10000, data: 'VideoPage' },
      test: [check('page 2 holds the older video, total stays 2', 'pm.expect(body.data.total).to.equal(2);',
        "pm.expect(body.data.items.map(function (v) { return v.id; })).to.eql([pm.environment.get('p_video1')]);")],
    }),
    step(`${A}: 作者列表 user_id 不是数字 (10002)`, 'GET', '/video/list', {
      query: { user_id: 'abc', page_num: 0, page_size: 10 },
      expect: { code: 10002 },
    }),
    step(`${A}: 作者列表 page_size 为负 (10002)`, 'GET', '/video/list', {
      query: { user_id: '{{p_id}}', page_num: 0, page_size: -5 },
      expect: { code: 10002 },
    }),
    step(`${A}: 作者列表 page_size 1000: 截到 100`, 'GET', '/video/list', {
      query: { user_id: '{{p_id}}', page_num: 0, page_size: 1000 },
      expect: { code: 10000, data: 'VideoPage' },
      test: [check('both videos, capped page', 'pm.expect(body.data.items.length).to.equal(2);')],
    }),
    step(`${A}: 作者列表 page_size 超出查询代价上限 (10002)`, 'GET', '/video/list', {
      query: { user_id: '{{p_id}}', page_num: 0, page_size: 100000 },
      expect: { code: 10002 },
    }),
    step(`${A}: 视频流 (latest_time 之后)`, 'GET', '/video/feed', {
      query: { latest_time: '{{feed_since}}' },
      expect: { code: 10000, data: 'VideoList' },
      test: [check('both new videos are in the feed', "const ids = body.data.items.map(function (v) { return v.id; });",
        "pm.expect(ids).to.include(pm.environment.get('p_video1'));", "pm.expect(ids).to.include(pm.environment.get('p_video2'));")],
    }),
    step(`${A}: 视频流分页`, 'GET', '/video/feed/', {
      query: { page_num: 0, page_size: 1 },
      expect: { code: 10000, data: 'VideoList' },
      test: [check('one item per page', 'pm.expect(body.data.items.length).to.equal(1);')],
    }),
    step(`${A}: 视频流 latest_time 不是数字 (10002)`, 'GET', '/video/feed', {
      query: { latest_time: 'yesterday' },
      expect: { code: 10002 },
    }),
    step(`${A}: 视频流 (带斜杠) page_size 不是数字 (10002)`, 'GET', '/video/feed/', {
      query: { page_num: 0, page_size: 'many' },
      expect: { code: 10002 },
    }),
    step(`${A}: 热门排行`, 'GET', '/video/popular', {
      query: { page_num: 0, page_size: 10 },
      expect: { code: 10000, data: 'VideoList' },
      test: [check('ranked by visits', 'const v = body.data.items.map(function (x) { return x.visit_count; });',
        'pm.expect(v).to.eql(v.slice().sort(function (a, b) { return b - a; }));')],
    }),
    step(`${A}: 热门 page_num 为负 (10002)`, 'GET', '/video/popular', {
      query: { page_num: -1, page_size: 10 },
      expect: { code: 10002 },
    }),
    step(`${A}: 投稿缺少标题 (10002), 没有新视频`, 'POST', '/video/publish', {
      auth: 'p',
      form: { description: 'no title' },
      files: { data: 'fixtures/clip.mp4' },
      expect: { code: 10002 },
    }),
    step(`${A}: 投稿不是视频 (10008)`, 'POST', '/video/publish', {
      auth: 'p',
      form: { title: 'not a video', description: 'text' },
      files: { data: 'fixtures/not-an-image.txt' },
      expect: { code: 10008 },
    }),
    step(`${A}: 未登录投稿 (10003)`, 'POST', '/video/publish', {
      form: { title: 'anonymous', description: 'x' },
      files: { data: 'fixtures/clip.mp4' },
      expect: { code: 10003 },
    }),
    step(`${A}: 失败的投稿没有留下视频`, 'GET', '/video/list', {
      query: { user_id: '{{p_id}}', page_num: 0, page_size: 10 },
      expect: { code: 10000, data: 'VideoPage' },
      test: [check('still two videos', 'pm.expect(body.data.total).to.equal(2);')],
    }),
  ],
};
