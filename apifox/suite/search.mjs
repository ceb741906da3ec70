// 搜索: keyword search (with the username and date filters, paging; the index is fed by Kafka, so
// the first read polls) and image search by an uploaded picture.

import { check, signUp, step } from './dsl.mjs';
import { publish } from './videos.mjs';

const A = '搜索';

export default {
  name: A,
  steps: [
    ...signUp(A, 's'),
    step(`${A}: 一个独有的关键词`, 'GET', '/video/feed', {
      query: { page_size: 1 },
      expect: { code: 10000, data: 'VideoList' },
      save: { s_word: "'kw' + Date.now().toString(36)" },
    }),
    ...publish(A, 's', 'Apifox 搜索 {{s_word}}', 's_video'),
    step(`${A}: 按关键词搜索 (索引最终一致)`, 'POST', '/video/search', {
      form: { keywords: '{{s_word}}', page_num: 0, page_size: 10 },
      wait: { method: 'POST', path: '/video/search', form: { keywords: '{{s_word}}', page_num: 0, page_size: 10 }, until: 'body.data.total === 1' },
      expect: { code: 10000, data: 'VideoPage' },
      test: [check('exactly the new video', 'pm.expect(body.data.total).to.equal(1);',
        "pm.expect(body.data.items[0].id).to.equal(pm.environment.get('s_video'));")],
    }),
    step(`${A}: 关键词 + 用户名`, 'POST', '/video/search', {
      form: { keywords: '{{s_word}}', username: '{{s_name}}', page_num: 0, page_size: 10 },
      expect: { code: 10000, data: 'VideoPage' },
      test: [check('still found', 'pm.expect(body.data.total).to.equal(1);')],
    }),
    step(`${A}: 关键词 + 别人的用户名: 没有结果`, 'POST', '/video/search', {
      form: { keywords: '{{s_word}}', username: 'nobody-{{s_word}}', page_num: 0, page_size: 10 },
      expect: { code: 10000, data: 'VideoPage' },
      test: [check('nothing', 'pm.expect(body.data.total).to.equal(0);', 'pm.expect(body.data.items).to.eql([]);')],
    }),
    step(`${A}: 起始日期在将来: 没有结果`, 'POST', '/video/search', {
      form: { keywords: '{{s_word}}', from_date: '4102444800000', page_num: 0, page_size: 10 },
      expect: { code: 10000, data: 'VideoPage' },
      test: [check('nothing', 'pm.expect(body.data.total).to.equal(0);')],
    }),
    step(`${A}: page_size 不是数字 (10002)`, 'POST', '/video/search', {
      form: { keywords: '{{s_word}}', page_num: 0, page_size: 'ten' },
      expect: { code: 10002 },
    }),
    step(`${A}: from_date 不是时间戳 (10002)`, 'POST', '/video/search', {
      form: { keywords: '{{s_word}}', from_date: 'monday', page_num: 0, page_size: 10 },
      expect: { code: 10002 },
    }),
    step(`${A}: 关键词过长 (10002)`, 'POST', '/video/search', {
      form: { keywords: 'k'.repeat(2000), page_num: 0, page_size: 10 },
      expect: { code: 10002 },
    }),
    // Image search: the avatar is indexed from user.events, then found by the same picture.
    step(`${A}: 上传头像 (被索引)`, 'PUT', '/user/avatar/upload', {
      auth: 's',
      files: { data: 'fixtures/avatar.png' },
      expect: { code: 10000, data: 'User' },
    }),
    step(`${A}: 以图搜图`, 'POST', '/user/image/search', {
      files: { data: 'fixtures/avatar.png' },
      // The avatars uploaded by this suite (the users scenario's, 20 s earlier, and the one above)
      // are indexed from user.events within a second or two.
      pre: ['setTimeout(function () {}, 2000);'],
      expect: { code: 10000, data: 'ImageUrl' },
      test: [check('a URL', "pm.expect(body.data).to.match(/^https?:\\/\\//);")],
    }),
    step(`${A}: 以图搜图: 不是图片 (10008)`, 'POST', '/user/image/search', {
      files: { data: 'fixtures/not-an-image.txt' },
      expect: { code: 10008 },
    }),
    step(`${A}: 以图搜图: 缺少文件 (10002)`, 'POST', '/user/image/search', {
      form: { note: 'no file' },
      expect: { code: 10002 },
    }),
  ],
};
