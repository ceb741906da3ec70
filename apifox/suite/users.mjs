// 用户与令牌: registration, login, info, avatar, MFA (qrcode, bind, login with a code), and the
// double-token rules at the edge (missing, invalid, expired access renewed by a valid refresh
// token, both expired), plus the refresh and logout extension routes.

import { check, signUp, step } from './dsl.mjs';
import { totpLines } from './totp.mjs';

const A = '用户';
const long = 'x'.repeat(300);

export default {
  name: A,
  steps: [
    ...signUp(A, 'u'),
    step(`${A}: 重名注册被拒 (11001)`, 'POST', '/user/register', {
      form: { username: '{{u_name}}', password: '{{u_pass}}' },
      expect: { code: 11001 },
    }),
    step(`${A}: 注册缺少密码 (10002)`, 'POST', '/user/register', {
      form: { username: '{{u_name}}x' },
      expect: { code: 10002 },
    }),
    step(`${A}: 注册用户名过长 (10002)`, 'POST', '/user/register', {
      form: { username: long, password: 'Apifox-pass-123' },
      expect: { code: 10002 },
    }),
    step(`${A}: 登录密码错误 (11002)`, 'POST', '/user/login', {
      form: { username: '{{u_name}}', password: 'wrong-password-1' },
      expect: { code: 11002 },
    }),
    step(`${A}: 登录缺少用户名 (10002)`, 'POST', '/user/login', {
      form: { password: 'wrong-password-1' },
      expect: { code: 10002 },
    }),
    step(`${A}: 查看自己的信息`, 'GET', '/user/info', {
      auth: 'u',
      expect: { code: 10000, data: 'User' },
      test: [check('it is me', "pm.expect(body.data.id).to.equal(pm.environment.get('u_id'));",
        "pm.expect(body.data.username).to.equal(pm.environment.get('u_name'));")],
    }),
    step(`${A}: 未登录按 id 查看`, 'GET', '/user/info', {
      query: { user_id: '{{u_id}}' },
      expect: { code: 10000, data: 'User' },
      test: [check('the asked user', "pm.expect(body.data.id).to.equal(pm.environment.get('u_id'));")],
    }),
    step(`${A}: user_id 不是数字 (10002)`, 'GET', '/user/info', {
      query: { user_id: 'abc' },
      expect: { code: 10002 },
    }),
    step(`${A}: 不存在的用户 (11003)`, 'GET', '/user/info', {
      query: { user_id: '9000000000000000001' },
      expect: { code: 11003 },
    }),
    // Tokens at the edge (S4 needs a user).
    step(`${A}: 缺少令牌 (10003)`, 'GET', '/friends/list', { expect: { code: 10003 } }),
    step(`${A}: 无效令牌 (10003)`, 'GET', '/friends/list', {
      headers: { 'Access-Token': 'x.y.z' },
      expect: { code: 10003 },
    }),
    step(`${A}: 过期访问令牌 + 有效刷新令牌: 续期`, 'GET', '/friends/list', {
      headers: { 'Access-Token': '{{expiredAccess}}', 'Refresh-Token': '{{u_refresh}}' },
      expect: { code: 10000, data: 'SocialPage' },
      test: [check('a renewed Access-Token header', "pm.expect(pm.response.headers.get('Access-Token')).to.be.a('string').and.not.empty;",
        "pm.expect(pm.response.headers.get('Access-Token')).to.not.equal(pm.environment.get('expiredAccess'));")],
      save: { u_renewed: "pm.response.headers.get('Access-Token')" },
    }),
    step(`${A}: 续期得到的令牌可用`, 'GET', '/user/info', {
      headers: { 'Access-Token': '{{u_renewed}}' },
      expect: { code: 10000, data: 'User' },
      test: [check('it is me', "pm.expect(body.data.id).to.equal(pm.environment.get('u_id'));")],
    }),
    step(`${A}: 两个令牌都过期 (10004)`, 'GET', '/friends/list', {
      headers: { 'Access-Token': '{{expiredAccess}}', 'Refresh-Token': '{{expiredRefresh}}' },
      expect: { code: 10004 },
    }),
    step(`${A}: 刷新令牌换新的一对`, 'POST', '/auth/refresh', {
      form: { refresh_token: '{{u_refresh}}' },
      expect: { code: 10000 },
      test: [check('new tokens in the headers', "pm.expect(pm.response.headers.get('Access-Token')).to.be.a('string').and.not.empty;",
        "pm.expect(pm.response.headers.get('Refresh-Token')).to.be.a('string').and.not.empty;")],
      save: { u_access: "pm.response.headers.get('Access-Token')", u_refresh2: "pm.response.headers.get('Refresh-Token')", u_old_refresh: "pm.environment.get('u_refresh')" },
    }),
    step(`${A}: 旧刷新令牌重用被拒 (11006)`, 'POST', '/auth/refresh', {
      form: { refresh_token: '{{u_old_refresh}}' },
      expect: { code: 11006 },
    }),
    // Avatar (U4).
    ...signUp(A, 'v'),
    step(`${A}: 上传头像`, 'PUT', '/user/avatar/upload', {
      auth: 'v',
      files: { data: 'fixtures/avatar.png' },
      expect: { code: 10000, data: 'User' },
      test: [check('the avatar is set', "pm.expect(body.data.avatar_url).to.be.a('string').and.not.empty;")],
    }),
    step(`${A}: 头像不是图片 (10008)`, 'PUT', '/user/avatar/upload', {
      auth: 'v',
      files: { data: 'fixtures/not-an-image.txt' },
      expect: { code: 10008 },
    }),
    step(`${A}: 头像缺少文件 (10002)`, 'PUT', '/user/avatar/upload', {
      auth: 'v',
      form: { note: 'no file' },
      expect: { code: 10002 },
    }),
    step(`${A}: 未登录上传头像 (10003)`, 'PUT', '/user/avatar/upload', {
      files: { data: 'fixtures/avatar.png' },
      expect: { code: 10003 },
    }),
    // MFA (U5, U6).
    step(`${A}: 获取 MFA 二维码`, 'GET', '/auth/mfa/qrcode', {
      auth: 'v',
      expect: { code: 10000, data: 'MfaSecret' },
      save: { v_secret: 'body.data.secret' },
    }),
    step(`${A}: 未登录获取二维码 (10003)`, 'GET', '/auth/mfa/qrcode', { expect: { code: 10003 } }),
    step(`${A}: 绑定 MFA 验证码错误 (11005)`, 'POST', '/auth/mfa/bind', {
      auth: 'v',
      form: { secret: '{{v_secret}}', code: '000000' },
      expect: { code: 11005 },
    }),
    step(`${A}: 绑定 MFA 缺少 secret (10002)`, 'POST', '/auth/mfa/bind', {
      auth: 'v',
      form: { code: '123456' },
      expect: { code: 10002 },
    }),
    step(`${A}: 登录仍不需要验证码`, 'POST', '/user/login', {
      form: { username: '{{v_name}}', password: '{{v_pass}}' },
      expect: { code: 10000, data: 'User' },
    }),
    step(`${A}: 绑定 MFA`, 'POST', '/auth/mfa/bind', {
      auth: 'v',
      pre: totpLines('v_secret', 'v_code'),
      form: { secret: '{{v_secret}}', code: '{{v_code}}' },
      expect: { code: 10000, data: null },
    }),
    step(`${A}: 绑定后登录需要验证码 (11004)`, 'POST', '/user/login', {
      form: { username: '{{v_name}}', password: '{{v_pass}}' },
      expect: { code: 11004 },
    }),
    step(`${A}: 登录验证码错误 (11005)`, 'POST', '/user/login', {
      form: { username: '{{v_name}}', password: '{{v_pass}}', code: '000000' },
      expect: { code: 11005 },
    }),
    step(`${A}: 退出登录`, 'POST', '/auth/logout', {
      form: { refresh_token: '{{v_refresh}}' },
      expect: { code: 10000, data: null },
    }),
    step(`${A}: 退出缺少 refresh_token (10002)`, 'POST', '/auth/logout', {
      form: { note: 'nothing' },
      expect: { code: 10002 },
    }),
    step(`${A}: 退出后刷新令牌失效 (11006)`, 'POST', '/auth/refresh', {
      form: { refresh_token: '{{v_refresh}}' },
      expect: { code: 11006 },
    }),
  ],
};
