// The sticky top bar's height as the page's scroll padding (app.css): a control reached with
// Tab scrolls into view below the bar, not under it. (A phone's bar scrolls away: 0.)

export function followTopBar() {
  const bar = document.querySelector("header.topbar");
  if (!bar) return;
  const set = () => {
    const sticky = getComputedStyle(bar).position === "sticky";
    document.documentElement.style.setProperty("--topbar-h", sticky ? `${Math.ceil(bar.getBoundingClientRect().height)}px` : "0px");
  };
  new ResizeObserver(set).observe(bar);
  window.addEventListener("resize", set); // (the bar stops being sticky at phone widths, perhaps at the same height)
  set();
}
