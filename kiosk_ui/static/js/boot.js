// What the server put in the page: locale, message catalog, store, cashier, and per page
// what it needs to be usable at once (the sale in progress on the sale screen).
export const boot = JSON.parse(document.getElementById("boot").textContent);
