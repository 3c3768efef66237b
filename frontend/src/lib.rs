//! The browser entry: hydrates the server-rendered page.
#[wasm_bindgen::prelude::wasm_bindgen]
pub fn hydrate() {
    console_error_panic_hook::set_once();
    // Waits for the pieces of WebAssembly the current route was split into.
    leptos::mount::hydrate_lazy(app::App);
}
