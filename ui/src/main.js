import './app.css'
import { createApp, h } from 'vue'
import { createInertiaApp, router } from '@inertiajs/vue3'
import { installRoute } from './lib/route.js'
import { makeResolver, readInitialPage } from './boot.js'

const initialPage = readInitialPage()

createInertiaApp({
  page: initialPage,
  resolve: makeResolver(import.meta.glob('./pages/**/*.vue')),
  title: (title) => (title ? `${title} · Support` : 'Support'),
  progress: { color: 'var(--esc-primary)', delay: 250 },
  setup({ el, App, props, plugin }) {
    const app = createApp({ render: () => h(App, props) })
    app.use(plugin)
    installRoute(app, initialPage, router)
    app.mount(el)
  },
})
