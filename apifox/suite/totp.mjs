// Script lines that compute the current TOTP code (RFC 6238: HMAC-SHA1, 6 digits, 30 s, the
// user service's parameters) of the base32 secret in variable `secretVar` into `codeVar`, with
// the sandbox's crypto-js: what an authenticator app shows at that moment.

export function totpLines(secretVar, codeVar) {
  return [
    "const CryptoJS = require('crypto-js');",
    `const clipfedSecret = String(pm.environment.get('${secretVar}')).replace(/=+$/, '').toUpperCase();`,
    "const clipfedAlphabet = 'ABCDEFGHIJKLMNOPQRSTUVWXYZ234567';",
    "let clipfedBits = '';",
    "for (const c of clipfedSecret) { clipfedBits += clipfedAlphabet.indexOf(c).toString(2).padStart(5, '0'); }",
    "let clipfedKey = '';",
    "for (let i = 0; i + 8 <= clipfedBits.length; i += 8) { clipfedKey += parseInt(clipfedBits.slice(i, i + 8), 2).toString(16).padStart(2, '0'); }",
    "const clipfedCounter = Math.floor(Date.now() / 1000 / 30).toString(16).padStart(16, '0');",
    'const clipfedMac = CryptoJS.HmacSHA1(CryptoJS.enc.Hex.parse(clipfedCounter), CryptoJS.enc.Hex.parse(clipfedKey)).toString();',
    'const clipfedOffset = parseInt(clipfedMac.slice(-1), 16);',
    'const clipfedCode = (parseInt(clipfedMac.substr(clipfedOffset * 2, 8), 16) & 0x7fffffff) % 1000000;',
    `pm.environment.set('${codeVar}', String(clipfedCode).padStart(6, '0'));`,
  ];
}
