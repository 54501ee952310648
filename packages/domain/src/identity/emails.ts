import type { MailMessage } from '../platform/mailer.ts';

/**
 * The identity emails: verification code, reset link, welcome (temporary password), password-changed
 * notice. Plain text first (what every client shows), with a minimal HTML twin whose every
 * interpolated value is escaped.
 */
function escapeHtml(value: string): string {
  return value
    .replaceAll('&', '&amp;')
    .replaceAll('<', '&lt;')
    .replaceAll('>', '&gt;')
    .replaceAll('"', '&quot;')
    .replaceAll("'", '&#39;');
}

function html(paragraphs: string[]): string {
  return `<!doctype html><html><body style="font-family:system-ui,sans-serif;line-height:1.5">${paragraphs
    .map((p) => `<p>${p}</p>`)
    .join('')}</body></html>`;
}

interface Recipient {
  email: string;
  name: string;
  orgName: string;
}

export function verificationCodeEmail(to: Recipient, code: string, validMinutes: number): MailMessage {
  return {
    to: to.email,
    subject: `Your ${to.orgName} verification code`,
    text: [
      `Hello ${to.name},`,
      `Your verification code is: ${code}`,
      `It is valid for ${validMinutes} minutes. If you did not create an account, ignore this email.`,
    ].join('\n\n'),
    html: html([
      `Hello ${escapeHtml(to.name)},`,
      `Your verification code is: <strong style="font-size:1.4em;letter-spacing:0.2em">${escapeHtml(code)}</strong>`,
      `It is valid for ${validMinutes} minutes. If you did not create an account, ignore this email.`,
    ]),
  };
}

export function passwordResetEmail(to: Recipient, link: string, validMinutes: number): MailMessage {
  return {
    to: to.email,
    subject: 'Reset your Atrium password',
    text: [
      `Hello ${to.name},`,
      `Someone (hopefully you) asked to reset the password of your ${to.orgName} account. Open this link to choose a new one:`,
      link,
      `The link works once, for ${validMinutes} minutes. If you did not ask for it, ignore this email: your password stays as it is.`,
    ].join('\n\n'),
    html: html([
      `Hello ${escapeHtml(to.name)},`,
      `Someone (hopefully you) asked to reset the password of your ${escapeHtml(to.orgName)} account.`,
      `<a href="${escapeHtml(link)}">Choose a new password</a>`,
      `The link works once, for ${validMinutes} minutes. If you did not ask for it, ignore this email: your password stays as it is.`,
    ]),
  };
}

export function welcomeEmail(to: Recipient, temporaryPassword: string, signInUrl: string): MailMessage {
  return {
    to: to.email,
    subject: `Welcome to ${to.orgName} on Atrium`,
    text: [
      `Hello ${to.name},`,
      `An administrator created an Atrium account for you in ${to.orgName}.`,
      `Sign in at ${signInUrl} with\n  email: ${to.email}\n  temporary password: ${temporaryPassword}`,
      'You will be asked to choose your own password right away.',
    ].join('\n\n'),
    html: html([
      `Hello ${escapeHtml(to.name)},`,
      `An administrator created an Atrium account for you in ${escapeHtml(to.orgName)}.`,
      `Sign in at <a href="${escapeHtml(signInUrl)}">${escapeHtml(signInUrl)}</a> with<br>email: ${escapeHtml(
        to.email,
      )}<br>temporary password: <code>${escapeHtml(temporaryPassword)}</code>`,
      'You will be asked to choose your own password right away.',
    ]),
  };
}

export function passwordChangedEmail(to: Recipient, via: 'change' | 'reset', resetUrl: string): MailMessage {
  const how = via === 'reset' ? 'through a password reset link' : 'from your account settings';
  return {
    to: to.email,
    subject: 'Your Atrium password was changed',
    text: [
      `Hello ${to.name},`,
      `The password of your ${to.orgName} account was changed ${how}, and every other signed-in device was signed out.`,
      `If this was not you, reset your password now at ${resetUrl} and tell your administrator.`,
    ].join('\n\n'),
    html: html([
      `Hello ${escapeHtml(to.name)},`,
      `The password of your ${escapeHtml(to.orgName)} account was changed ${how}, and every other signed-in device was signed out.`,
      `If this was not you, <a href="${escapeHtml(resetUrl)}">reset your password now</a> and tell your administrator.`,
    ]),
  };
}
