"""SLA clocks: first response and resolution, counted in a support offer's business hours.

Service hours, holiday calendars and the business-time arithmetic the clocks run on."""
