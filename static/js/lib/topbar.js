// The sticky top bar's height (and a little room) as the page's scroll padding (app.css): a
// control reached with Tab scrolls into view below the bar, not under it. (A phone's bar
// scrolls away: none.)

export function followTopBar() {
  const bar = document.querySelector("header.topbar");
  if (!bar) return;
  const set = () => {
    const sticky = getComputedStyle(bar).position === "sticky";
    document.documentElement.style.setProperty("--topbar-pad", sticky ? `${Math.ceil(bar.getBoundingClientRect().height) + 8}px` : "0px");
  };
  new ResizeObserver(set).observe(bar);
  window.addEventListener("resize", set); // (the bar stops being sticky at phone widths, perhaps at the same height)
  set();
}
