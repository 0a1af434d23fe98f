// Custom elements: <crt-countdown until="ISO"> shows the time left (mm:ss) and fires "expired";
// <crt-pager> is the previous/next control of a paged list.
import { t } from './i18n.js';

class Countdown extends HTMLElement {
  connectedCallback() { this.tick(); this.timer = setInterval(() => this.tick(), 1000); }
  disconnectedCallback() { clearInterval(this.timer); }
  tick() {
    const left = Math.max(0, Math.floor((Date.parse(this.getAttribute('until')) - Date.now()) / 1000));
    const m = Math.floor(left / 60); const s = left % 60;
    this.textContent = `${m}:${String(s).padStart(2, '0')}`;
    this.setAttribute('aria-label', t('bg.left_aria', { m, s }));
    if (left === 0) { clearInterval(this.timer); this.dispatchEvent(new Event('expired')); }
  }
}
customElements.define('crt-countdown', Countdown);

class Pager extends HTMLElement {
  // set(offset, limit, nextOffset, onPage)
  set(offset, limit, next, onPage) {
    this.replaceChildren();
    const nav = document.createElement('nav');
    nav.setAttribute('aria-label', t('pager.label'));
    const prev = document.createElement('button');
    prev.type = 'button'; prev.className = 'secondary'; prev.textContent = t('pager.prev');
    prev.disabled = offset === 0;
    prev.addEventListener('click', () => onPage(Math.max(0, offset - limit)));
    const nxt = document.createElement('button');
    nxt.type = 'button'; nxt.className = 'secondary'; nxt.textContent = t('pager.next');
    nxt.disabled = next === null || next === undefined;
    nxt.addEventListener('click', () => onPage(next));
    const where = document.createElement('span');
    where.textContent = t('pager.page', { n: Math.floor(offset / limit) + 1 });
    nav.append(prev, where, nxt);
    this.append(nav);
  }
}
customElements.define('crt-pager', Pager);
